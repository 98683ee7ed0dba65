// The one owner of the shell parser (mvdan/sh, the GopherJS build published as `mvdan-sh`): turns a
// command line into the simple commands it runs, each with the working directory it runs in.
// sh-syntax (the WASM build of the same parser) returns statements without their words, so it cannot
// tell `rm -rf x` from `ls x`; this build exposes the whole syntax tree.
import { posix } from 'node:path';
import { loadWithCodeCache } from './parser-load.js';
import { evalWord, type ShellVars, type ShellWord, type WordNode } from './shell-words.js';

/** The parts of mvdan/sh's syntax tree the guard reads (Go structs seen through GopherJS). */
interface ShNode {
  [field: string]: unknown;
}
interface ShSyntax {
  NewParser(): { Parse(text: string, name: string): ShNode };
  NodeType(n: ShNode): string;
  Walk(n: ShNode, fn: (n: ShNode | null) => boolean): void;
}

let syntax: ShSyntax | undefined;
/** Loaded on first use only: the parser costs tens of milliseconds to start, and most commands never need it. */
function parser(): ShSyntax {
  syntax ??= (loadWithCodeCache('mvdan-sh', import.meta.url) as { syntax: ShSyntax }).syntax;
  return syntax;
}

export interface SimpleCommand {
  argv: ShellWord[];
  /** The directory it runs in; null when an earlier `cd` went somewhere the guard cannot know. */
  cwd: string | null;
  /** The statement on the other side of a pipe into this one (xargs reads its output). */
  pipedFrom?: SimpleCommand[];
  /** Later commands of the same script (a `mount --make-slave` after a bind, say). */
  index: number;
}

export class ShellParseError extends Error {}

// mvdan/sh's token numbers for binary commands (syntax.BinCmdOperator).
const AND = 10;
const OR = 11;
const PIPE = 12;
const PIPE_ALL = 13;

interface Walker {
  out: SimpleCommand[];
  home: string;
  /** `X=/mnt/a` earlier in the line makes `$X` known (scoping is flattened: a subshell's leaks). */
  vars: ShellVars;
}

/** Records `NAME=value` (a bare assignment, or export/declare/local/readonly). */
function assign(w: Walker, a: ShNode, cwd: string | null): void {
  const name = (a.Name as ShNode | null)?.Value;
  if (typeof name !== 'string') return;
  const value = a.Value as ShNode | null;
  if (a.Append || a.Array || a.Index || !value) {
    w.vars.set(name, a.Naked && !value ? (w.vars.get(name) ?? null) : null);
    return;
  }
  const v = evalWord(value as unknown as WordNode, cwd, w.home, parser().NodeType, w.vars);
  w.vars.set(name, v.text !== null && !v.glob ? v.text : null);
}

const list = (v: unknown): ShNode[] => (Array.isArray(v) ? (v as ShNode[]) : []);

/** Runs a list of statements in order; `cd` changes the directory of those after it. */
function stmts(w: Walker, nodes: ShNode[], cwd: string | null): string | null {
  let dir = cwd;
  for (const s of nodes) dir = stmt(w, s, dir);
  return dir;
}

function stmt(w: Walker, s: ShNode, cwd: string | null): string | null {
  for (const r of list(s.Redirs)) inner(w, r, cwd);
  const cmd = s.Cmd as ShNode | null;
  if (!cmd) return cwd;
  const next = command(w, cmd, cwd);
  return s.Background ? cwd : next; // a background job's cd stays in its subshell
}

/** One command node; returns the working directory afterwards. */
function command(w: Walker, cmd: ShNode, cwd: string | null): string | null {
  const sx = parser();
  switch (sx.NodeType(cmd)) {
    case 'CallExpr': {
      for (const a of list(cmd.Assigns)) inner(w, a, cwd);
      const words = list(cmd.Args);
      for (const word of words) inner(w, word, cwd);
      if (words.length === 0) {
        for (const a of list(cmd.Assigns)) assign(w, a, cwd);
        return cwd;
      }
      const argv = words.map((x) => evalWord(x as unknown as WordNode, cwd, w.home, sx.NodeType, w.vars));
      w.out.push({ argv, cwd, index: w.out.length });
      return changeDir(argv, cwd, w.home);
    }
    case 'BinaryCmd': {
      const op = cmd.Op as number;
      if (op === PIPE || op === PIPE_ALL) {
        const start = w.out.length;
        stmt(w, cmd.X as ShNode, cwd);
        const left = w.out.slice(start);
        const mid = w.out.length;
        stmt(w, cmd.Y as ShNode, cwd);
        for (const c of w.out.slice(mid)) c.pipedFrom = [...(c.pipedFrom ?? []), ...left];
        return cwd; // each side of a pipe runs in a subshell
      }
      const after = stmt(w, cmd.X as ShNode, cwd);
      // `a && b`: b runs where a left off (when a fails, b does not run and is not a danger).
      return op === AND || op === OR ? stmt(w, cmd.Y as ShNode, after) : null;
    }
    case 'Subshell':
      stmts(w, list(cmd.Stmts), cwd);
      return cwd;
    case 'Block':
      return stmts(w, list(cmd.Stmts), cwd);
    case 'ForClause': {
      // `for d in proc sys dev; do ...; done`: the body is judged once per known item.
      const loop = cmd.Loop as ShNode;
      const name = (loop.Name as ShNode | null)?.Value;
      if (
        sx.NodeType(loop) !== 'WordIter' ||
        typeof name !== 'string' ||
        !Array.isArray(loop.Items) ||
        loop.Items.length === 0
      )
        break;
      for (const item of list(loop.Items)) inner(w, item, cwd);
      const values = list(loop.Items).map((x) => evalWord(x as unknown as WordNode, cwd, w.home, sx.NodeType, w.vars));
      for (const v of values.slice(0, 32)) {
        w.vars.set(name, v.text !== null && !v.glob && !v.brace ? v.text : null);
        if (stmts(w, list(cmd.Do), cwd) !== cwd) return null;
      }
      return cwd;
    }
    case 'DeclClause':
      for (const a of list(cmd.Args)) {
        inner(w, a, cwd);
        assign(w, a, cwd);
      }
      return cwd;
    default:
      break;
  }
  // if/while/case/functions/tests (and loops over unknown lists): every command inside is judged,
  // in the current directory; a `cd` inside them makes the directory unknown afterwards.
  return walkAll(w, cmd, cwd) ? null : cwd;
}

/** Commands nested anywhere in `node` (command substitutions, conditions, bodies). True when one was a cd. */
function walkAll(w: Walker, node: ShNode, cwd: string | null): boolean {
  const sx = parser();
  let sawCd = false;
  sx.Walk(node, (n) => {
    if (!n || n === node) return true;
    const t = sx.NodeType(n);
    if (t === 'Stmt') {
      const before = w.out.length;
      const dir = stmt(w, n, cwd);
      if (dir !== cwd || w.out.slice(before).some((c) => c.argv[0]?.text === 'cd')) sawCd = true;
      return false;
    }
    return true;
  });
  return sawCd;
}

/** Statements inside a word or redirect ($(...), <(...)) run in a subshell in the same directory. */
function inner(w: Walker, node: ShNode, cwd: string | null): void {
  walkAll(w, node, cwd);
}

function changeDir(argv: ShellWord[], cwd: string | null, home: string): string | null {
  const name = argv[0]?.text;
  if (name !== 'cd' && name !== 'pushd') return cwd;
  const args = argv.slice(1).filter((a) => !(a.text && /^-[LPe@]+$/.test(a.text)));
  if (args.length === 0) return name === 'cd' ? home : null;
  const t = args[0]!;
  if (t.text === null || t.glob || t.text === '-') return null;
  if (t.text.startsWith('/')) return posix.normalize(t.text);
  return cwd === null ? null : posix.resolve(cwd, t.text);
}

export interface ParseOptions {
  cwd: string | null;
  home: string;
}

/** The simple commands of a command line, in the order a shell would run them. */
export function parseCommandLine(text: string, opts: ParseOptions): SimpleCommand[] {
  const sx = parser();
  let file: ShNode;
  try {
    file = sx.NewParser().Parse(text, '');
  } catch (e) {
    // Go errors come through GopherJS as objects with an Error() method, not as JS Errors.
    const ge = e as { message?: string; Error?: () => string };
    const msg = typeof ge.Error === 'function' ? ge.Error() : (ge.message ?? String(e));
    throw new ShellParseError(msg);
  }
  const w: Walker = { out: [], home: opts.home, vars: new Map() };
  stmts(w, list(file.Stmts), opts.cwd);
  return w.out;
}
