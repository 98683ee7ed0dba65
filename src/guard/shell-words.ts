// What a shell word becomes after quote removal, when the guard can know it: literals and quotes
// are exact, `~`, $HOME, $PWD and $(pwd) are known, other expansions make the word unknown.

export interface ShellWord {
  /** The word after expansion and quote removal; null when it depends on something unknown. */
  text: string | null;
  /** Unquoted *, ? or [ : the word is a pattern the shell expands against the file system. */
  glob: boolean;
  /** Unquoted {a,b}: the shell expands the word into several before anything else. */
  brace?: boolean;
  /** The word with quoted glob and brace characters escaped by a backslash (when glob or brace). */
  pattern?: string;
  /** The word as written, for messages. */
  raw: string;
}

/** A word node of mvdan/sh's tree (fields read through GopherJS). */
export interface WordNode {
  [field: string]: unknown;
}

type NodeTypeFn = (n: WordNode) => string;

const GLOB_CHARS = /[*?[]/;
const escapeGlob = (s: string): string => s.replace(/[*?[\]\\{},]/g, (c) => `\\${c}`);
const BRACE = /\{[^{}]*,[^{}]*\}/;

/** Removes the backslashes of an unquoted literal (`a\ b` is `a b`; a trailing newline escape vanishes). */
function unescapeBare(s: string): string {
  return s.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

/** Inside double quotes a backslash escapes only $ ` " \ and newline. */
function unescapeDouble(s: string): string {
  return s.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

interface Acc {
  text: string;
  pattern: string;
  known: boolean;
  glob: boolean;
  brace: boolean;
}

/** Variables assigned earlier in the same command line (null: assigned something unknown). */
export type ShellVars = Map<string, string | null>;

function paramValue(n: WordNode, cwd: string | null, home: string, vars: ShellVars): string | null {
  // Only a plain $NAME / ${NAME}: any operator (${X:-y}, ${#X}, ${X%y}) makes it unknown.
  if (n.Excl || n.Length || n.Width || n.Index || n.Slice || n.Repl || n.Exp || n.Names) return null;
  const name = (n.Param as WordNode | null)?.Value;
  if (typeof name === 'string' && vars.has(name)) return vars.get(name) ?? null;
  if (name === 'HOME') return home;
  if (name === 'PWD') return cwd;
  return null;
}

function isPwdSubst(n: WordNode, nodeType: NodeTypeFn): boolean {
  const stmts = n.Stmts as WordNode[] | undefined;
  if (!Array.isArray(stmts) || stmts.length !== 1) return false;
  const cmd = stmts[0]!.Cmd as WordNode | null;
  if (!cmd || nodeType(cmd) !== 'CallExpr') return false;
  const args = cmd.Args as WordNode[];
  if (args.length !== 1) return false;
  const parts = args[0]!.Parts as WordNode[];
  return parts.length === 1 && nodeType(parts[0]!) === 'Lit' && parts[0]!.Value === 'pwd';
}

function addPart(
  acc: Acc,
  p: WordNode,
  quoted: boolean,
  cwd: string | null,
  home: string,
  nodeType: NodeTypeFn,
  vars: ShellVars,
): void {
  const known = (s: string | null): void => {
    if (s === null) acc.known = false;
    else {
      acc.text += s;
      acc.pattern += escapeGlob(s);
    }
  };
  switch (nodeType(p)) {
    case 'Lit': {
      const raw = String(p.Value);
      if (quoted) return known(unescapeDouble(raw));
      // Unquoted: glob characters not escaped by a backslash make a pattern.
      const unescaped = unescapeBare(raw);
      acc.text += unescaped;
      const bare = raw.replace(/\\(.)/gs, (_m, c: string) => `\\${c}`);
      if (GLOB_CHARS.test(raw.replace(/\\./gs, ''))) acc.glob = true;
      if (BRACE.test(raw.replace(/\\./gs, ''))) acc.brace = true;
      acc.pattern += bare.replace(/\\\n/g, '');
      return;
    }
    case 'SglQuoted':
      // $'...' has its own escapes the guard does not decode.
      return known(p.Dollar ? null : String(p.Value));
    case 'DblQuoted':
      for (const q of (p.Parts as WordNode[]) ?? []) addPart(acc, q, true, cwd, home, nodeType, vars);
      return;
    case 'ParamExp':
      return known(paramValue(p, cwd, home, vars));
    case 'CmdSubst':
      return known(isPwdSubst(p, nodeType) ? cwd : null);
    default:
      acc.known = false; // arithmetic, process substitution, extended globs
  }
}

export function evalWord(
  w: WordNode,
  cwd: string | null,
  home: string,
  nodeType: NodeTypeFn,
  vars: ShellVars = new Map(),
): ShellWord {
  const parts = (w.Parts as WordNode[]) ?? [];
  const acc: Acc = { text: '', pattern: '', known: true, glob: false, brace: false };
  parts.forEach((p, i) => {
    // A leading unquoted `~` or `~/...` is the home directory (`~user` is not known).
    if (i === 0 && nodeType(p) === 'Lit') {
      const v = String(p.Value);
      if (v === '~' || v.startsWith('~/')) {
        acc.text += home;
        acc.pattern += escapeGlob(home);
        addPart(acc, { ...p, Value: v.slice(1) } as WordNode, false, cwd, home, () => 'Lit', vars);
        return;
      }
      if (v.startsWith('~')) acc.known = false;
    }
    addPart(acc, p, false, cwd, home, nodeType, vars);
  });
  const raw = parts.map((p) => String(p.Value ?? '')).join('') || '(expansion)';
  const word: ShellWord = {
    text: acc.known ? acc.text : null,
    glob: acc.known && acc.glob,
    raw: acc.known ? acc.text : raw,
  };
  if (acc.known && acc.brace) word.brace = true;
  if (word.glob || word.brace) word.pattern = acc.pattern;
  return word;
}

/** A word built from a plain string (the arguments of `bash -c` after re-parsing, xargs input). */
export function literalWord(s: string): ShellWord {
  return { text: s, glob: false, raw: s };
}
