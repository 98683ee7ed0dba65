// Where a path lies inside its file system: the device and the path within it. One tree can be reached
// under several names through bind mounts (`mount --bind /srv/a /mnt/b`), and the locks that keep
// builds and cleanups apart are keyed by name; comparing places finds the same files under another one.
import { isAtOrUnder } from '../fs/paths.js';
import type { MountEntry } from './mountinfo.js';

export interface FsPlace {
  /** "major:minor" of the file system. */
  dev: string;
  /** The path inside that file system (mountinfo's root joined with the rest of the path). */
  fsPath: string;
}

/**
 * The mount that `path` (absolute, canonical) reaches, resolved from `/` down as the kernel does: at
 * each mount, its child mounts on the way to the path; of two, the one nearer the root hides the other
 * (of two on one point, the later line); of a stack on one point, the top.
 */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | null {
  const ids = new Set(mounts.map((m) => m.id));
  const top = (m: MountEntry): MountEntry => {
    for (let next = lastChildAt(m, m.mountPoint); next; next = lastChildAt(m, m.mountPoint)) m = next;
    return m;
  };
  const lastChildAt = (m: MountEntry, point: string): MountEntry | undefined =>
    mounts.findLast((e) => e.parentId === m.id && e.id !== m.id && e.mountPoint === point);
  const rootMount = mounts.findLast((e) => e.mountPoint === '/' && !ids.has(e.parentId));
  if (!rootMount || !isAtOrUnder(path, '/')) return null;
  let at = top(rootMount);
  for (;;) {
    let best: MountEntry | undefined;
    for (const e of mounts)
      if (e.parentId === at.id && e.id !== at.id && e.mountPoint !== at.mountPoint && isAtOrUnder(path, e.mountPoint))
        if (!best || isAtOrUnder(best.mountPoint, e.mountPoint)) best = e;
    if (!best) return at;
    at = top(best);
  }
}

export function fsPlace(path: string, mounts: readonly MountEntry[]): FsPlace | null {
  const m = mountOf(path, mounts);
  if (!m) return null;
  const rest = m.mountPoint === '/' ? path : path.slice(m.mountPoint.length);
  const joined = (m.root === '/' ? '' : m.root) + rest;
  return { dev: `${m.major}:${m.minor}`, fsPath: joined === '' ? '/' : joined };
}

/** The two are the same files or one holds the other, whatever names they are reached by. */
export function samePlaceOrNested(a: FsPlace | null, b: FsPlace | null): boolean {
  return !!a && !!b && a.dev === b.dev && (isAtOrUnder(a.fsPath, b.fsPath) || isAtOrUnder(b.fsPath, a.fsPath));
}
