// Opening a directory by its canonical path one component at a time from `/`, with O_NOFOLLOW on
// every component, not only the last. A path resolved earlier (realpath) can have an ancestor
// swapped for a symlink since; opening it by full path would then land wherever the link points.
// Mounts on the way are crossed: only root can make them, a symlink anyone with write access can.
import { closeFd, fstatBig, openDir, openDirAt } from './dir-fd.js';
import { pathComponents } from './paths.js';

export type OpenedDir =
  | { ok: true; fd: number }
  /** changed: a component is a symlink or not a directory now; missing: a component is gone. */
  | { ok: false; code: 'changed' | 'missing' | 'error'; reason: string };

/** "dev:ino" of an open fd, in the format path-policy's resolveTarget records as `fileId`. */
export function fileIdOfFd(fd: number): string {
  const st = fstatBig(fd);
  return `${st.dev}:${st.ino}`;
}

/** The components of a canonical absolute path, or the refusal of any other. */
export function canonicalComponents(realPath: string): string[] | OpenedDir {
  const comps = pathComponents(realPath);
  if (comps === null || realPath !== '/' + comps.join('/'))
    return { ok: false, code: 'error', reason: `${JSON.stringify(realPath)} is not a canonical absolute path` };
  return comps;
}

/** What opening component `at` on the way to `realPath` failing with `e` means. */
export function openFailure(at: string, realPath: string, e: unknown): OpenedDir {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'ENOTDIR')
    return {
      ok: false,
      code: 'changed',
      reason: `${at} is a symlink or not a directory now (on the way to ${realPath})`,
    };
  if (code === 'ENOENT')
    return { ok: false, code: 'missing', reason: `${at} does not exist (on the way to ${realPath})` };
  return { ok: false, code: 'error', reason: `cannot open ${at}: ${code ?? String(e)}` };
}

/** Opens the directory at `realPath` (canonical, absolute) without following any symlink on the way. */
export async function openDirNoFollow(realPath: string): Promise<OpenedDir> {
  const comps = canonicalComponents(realPath);
  if (!Array.isArray(comps)) return comps;
  let fd = await openDir('/');
  let at = '';
  for (const c of comps) {
    at += `/${c}`;
    let next: number;
    try {
      next = await openDirAt(fd, c);
    } catch (e) {
      await closeFd(fd);
      return openFailure(at, realPath, e);
    }
    await closeFd(fd);
    fd = next;
  }
  return { ok: true, fd };
}
