// The synchronous twin of openDirNoFollow, for the deleter's short fixed steps: one open per path
// component is a few microseconds when called directly, while each await on a thread-pool call
// gives up the processor, and on a loaded machine getting it back costs far more than the call.
import { closeSync, openSync } from 'node:fs';
import { DIR_FLAGS, fdPath } from './dir-fd.js';
import { canonicalComponents, openFailure, type OpenedDir } from './open-nofollow.js';

/** Opens the directory at `realPath` (canonical, absolute) without following any symlink on the way. */
export function openDirNoFollowSync(realPath: string): OpenedDir {
  const comps = canonicalComponents(realPath);
  if (!Array.isArray(comps)) return comps;
  let fd = openSync('/', DIR_FLAGS);
  let at = '';
  for (const c of comps) {
    at += `/${c}`;
    let next: number;
    try {
      next = openSync(fdPath(fd, c), DIR_FLAGS);
    } catch (e) {
      closeSync(fd);
      return openFailure(at, realPath, e);
    }
    closeSync(fd);
    fd = next;
  }
  return { ok: true, fd };
}

/** Opens entry `name` of the directory `parentFd` (one component, no symlink followed). */
export function openDirAtSync(parentFd: number, name: string): number {
  if (name === '' || name === '.' || name === '..' || name.includes('/'))
    throw new Error(`not a single path component: ${JSON.stringify(name)}`);
  return openSync(fdPath(parentFd, name), DIR_FLAGS);
}
