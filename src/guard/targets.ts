// Where a command's path arguments really point: relative to the directory it runs in, globs
// expanded against the file system as the shell would, symlinks resolved the way the tool does.
import { readdirSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import type { ShellWord } from './shell-words.js';

export type Resolution = { ok: true; paths: string[] } | { ok: false; why: string };

/** The deepest existing ancestor resolved, the rest appended: `a/b/missing` -> realpath(a/b)/missing. */
function realpathLoose(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return posix.join(realpathSync(cur), ...rest.reverse());
    } catch {
      if (cur === '/') return p;
      rest.push(posix.basename(cur));
      cur = posix.dirname(cur);
    }
  }
}

/**
 * Canonical path of `p`. `follow` = the tool resolves the last component too (umount, chroot); rm and
 * find act on a symlink itself unless the operand ends in `/`.
 */
export function canonical(p: string, follow: boolean): string {
  const abs = posix.normalize(p);
  if (abs === '/') return '/';
  if (follow || p.endsWith('/')) return realpathLoose(abs.replace(/\/+$/, ''));
  const name = posix.basename(abs);
  if (name === '.' || name === '..') return realpathLoose(abs);
  return posix.join(realpathLoose(posix.dirname(abs)), name);
}

function globToRegExp(component: string): RegExp {
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === '\\' && i + 1 < component.length) re += component[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = component.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${component
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasGlob = (component: string): boolean => /(^|[^\\])[*?[]/.test(component);
const unescapeGlob = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Expands an absolute pattern component by component (hidden names only when the pattern says so). */
function expand(pattern: string): string[] {
  let bases = ['/'];
  for (const comp of pattern.split('/').filter((c) => c !== '')) {
    const next: string[] = [];
    for (const b of bases) {
      if (!hasGlob(comp)) {
        next.push(posix.join(b, unescapeGlob(comp)));
        continue;
      }
      const re = globToRegExp(comp);
      let names: string[] = [];
      try {
        names = readdirSync(b);
      } catch {
        /* not a directory: no match */
      }
      for (const n of names)
        if ((!n.startsWith('.') || comp.startsWith('.')) && re.test(n)) next.push(posix.join(b, n));
    }
    bases = next.sort();
  }
  return bases;
}

/** Bash brace expansion over an escaped pattern: `a/{b,c{d,e}}` -> a/b a/cd a/ce (at most 256 words). */
export function expandBraces(p: string, limit = 256): string[] {
  let open = -1;
  let depth = 0;
  const commas: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth++ === 0) {
        open = i;
        commas.length = 0;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
    else if (c === '}' && depth > 0 && --depth === 0) {
      if (commas.length === 0) continue; // `{x}` is literal
      const cuts = [open, ...commas, i];
      const alts = cuts.slice(0, -1).map((c0, k) => p.slice(c0 + 1, cuts[k + 1]));
      const rest = p.slice(i + 1);
      const out: string[] = [];
      for (const a of alts)
        for (const x of expandBraces(p.slice(0, open) + a + rest, limit)) if (out.length < limit) out.push(x);
      return out;
    }
  }
  return [p];
}

/** The paths a path argument names; `follow` as in canonical(). */
export function resolveWord(w: ShellWord, cwd: string | null, follow: boolean): Resolution {
  if (w.text === null) return { ok: false, why: `${w.raw} depends on a value known only when the command runs` };
  if (w.text === '') return { ok: false, why: 'an empty path (an unset variable?)' };
  const relative = !w.text.startsWith('/');
  if (relative && cwd === null) return { ok: false, why: `${w.text} is relative to a directory the guard cannot know` };
  if ((w.glob || w.brace) && w.pattern) {
    const paths: string[] = [];
    for (const one of w.brace ? expandBraces(w.pattern) : [w.pattern]) {
      const rel = !one.startsWith('/');
      if (rel && cwd === null) return { ok: false, why: `${one} is relative to a directory the guard cannot know` };
      const pat = rel ? `${cwd!.replace(/[*?[\]\\{},]/g, '\\$&')}/${one}` : one;
      // No glob match: the shell passes the pattern on unchanged, which names nothing that exists.
      const hits = hasGlob(pat) ? expand(pat) : [unescapeGlob(pat)];
      paths.push(...hits.map((h) => canonical(h, follow)));
    }
    return { ok: true, paths };
  }
  return { ok: true, paths: [canonical(relative ? posix.join(cwd!, w.text) : w.text, follow)] };
}
