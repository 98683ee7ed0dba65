// A path that isoswarm creates or mounts on is used as written: no component of it may be a symlink.
// `mkdir -p` (mkdirSync recursive) follows a symlinked parent and creates the rest wherever it points,
// so the components are checked with lstat from `/` down first, and the missing ones are then made
// one at a time (mkdir never follows a final symlink: it fails with EEXIST on one).
import { lstatSync, mkdirSync } from 'node:fs';
import { pathComponents } from './paths.js';

export type PathProblem = { at: string; why: 'symlink' | 'not-a-directory' | 'not-absolute' };

/** The first existing component of `path` (absolute) that is a symlink or not a directory; null when none. */
export function pathProblem(path: string): PathProblem | null {
  const comps = pathComponents(path);
  if (!comps) return { at: path, why: 'not-absolute' };
  let at = '';
  for (const c of comps) {
    at += `/${c}`;
    let st;
    try {
      st = lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // the rest does not exist yet
      throw e;
    }
    if (st.isSymbolicLink()) return { at, why: 'symlink' };
    if (!st.isDirectory()) return { at, why: 'not-a-directory' };
  }
  return null;
}

export function describePathProblem(path: string, p: PathProblem): string {
  if (p.why === 'not-absolute') return `${JSON.stringify(path)} is not an absolute path without . or ..`;
  return p.why === 'symlink'
    ? `${p.at} (on the path to ${path}) is a symlink; isoswarm creates and mounts only on paths without one`
    : `${p.at} (on the path to ${path}) is not a directory`;
}

/** Creates `path` and its missing parents, refusing (throwing, nothing more created) at any symlink. */
export function mkdirsNoFollow(path: string, mode = 0o755): void {
  const comps = pathComponents(path);
  if (!comps) throw new Error(describePathProblem(path, { at: path, why: 'not-absolute' }));
  let at = '';
  for (const c of comps) {
    at += `/${c}`;
    try {
      mkdirSync(at, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Made now or there before: a directory in its own right, never a link to one.
    const st = lstatSync(at);
    if (st.isSymbolicLink() || !st.isDirectory())
      throw new Error(describePathProblem(path, { at, why: st.isSymbolicLink() ? 'symlink' : 'not-a-directory' }));
  }
}
