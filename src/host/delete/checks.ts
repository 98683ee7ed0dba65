// Checks the deleting walker makes before it enters a folder or reads one: is it still on the
// root's device and mount, is it a mount point by mountinfo, and what is in it.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import type { DeleteCtx, Frame } from './walk-state.js';
import { DIR_FLAGS, fdPath, mountIdOfFd } from '../fs/dir-fd.js';
import { parseMountinfo } from '../mounts/mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';

let mountCache: { key: string; at: number; set: Set<string> } | null = null;

/** Mount points under the root, re-read at most every 250 ms (the fd checks catch the rest). */
export function mountSet(ctx: DeleteCtx): Set<string> {
  const now = Date.now();
  const key = `${ctx.rootFd}\0${ctx.rootPath}`;
  if (!mountCache || mountCache.key !== key || now - mountCache.at > 250) {
    const set = new Set(ctx.mountPoints);
    try {
      for (const m of parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')))
        if (isAtOrUnder(m.mountPoint, ctx.rootPath)) set.add(m.mountPoint);
    } catch {
      /* keep the given ones */
    }
    mountCache = { key, at: now, set };
  }
  return mountCache.set;
}

/** Opens a folder entry and checks it is on the root's device and mount; a reason string if not. */
export function openChecked(ctx: DeleteCtx, parentFd: number, name: string): number | string | null {
  let fd: number;
  try {
    fd = name === '.' ? openSync(`${fdPath(parentFd)}/.`, DIR_FLAGS) : openSync(fdPath(parentFd, name), DIR_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') return null; // not a folder (any more): unlink it
    throw e;
  }
  let why: string | undefined;
  try {
    if (fstatSync(fd).dev !== ctx.rootDev) why = 'other file system (st_dev differs)';
    else if (mountIdOfFd(fd) !== ctx.rootMnt) why = 'mount point (another mount, same file system)';
  } catch (e) {
    why = `cannot verify its mount: ${String(e)}`;
  }
  if (why === undefined) return fd;
  closeSync(fd);
  return why;
}

/**
 * Names in a folder. By path when short (half the cost of a listing through /proc/self/fd): the
 * names are only ever used through the pinned fd, so a path that now leads elsewhere can make the
 * listing incomplete (rmdir then finds the folder not empty and it is read again through the fd)
 * but never makes anything outside the folder reachable.
 */
export function listNames(f: Frame): Dirent[] {
  if (!f.rescanned && f.path.length < 3000) {
    try {
      return readdirSync(f.path, { withFileTypes: true });
    } catch {
      /* moved or too long: read through the fd */
    }
  }
  return readdirSync(fdPath(f.fd), { withFileTypes: true });
}
