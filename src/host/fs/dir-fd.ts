// Directory file descriptors used like openat(2)/unlinkat(2). Node has no *at() calls, but a path
// through /proc/self/fd/N starts at the directory that fd was opened on: a mount made later over
// that path is not crossed, a renamed ancestor does not matter, and the path stays short however
// deep the tree is (no PATH_MAX limit). /proc/self/fdinfo/N names the mount the fd lives on.
import {
  closeSync,
  constants,
  fstatSync,
  open,
  close,
  openSync,
  readSync,
  statfsSync,
  type BigIntStats,
} from 'node:fs';
import { promisify } from 'node:util';

const openAsync = promisify(open);
const closeAsync = promisify(close);

/** Open a directory, never through a final symlink (ELOOP) and never a non-directory (ENOTDIR). */
export const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A path that resolves relative to an open directory fd (the name must be one component). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

export async function openDir(path: string): Promise<number> {
  return openAsync(path, DIR_FLAGS);
}

/** Opens entry `name` of the directory `parentFd` (one component, no symlink followed). */
export async function openDirAt(parentFd: number, name: string): Promise<number> {
  if (name === '' || name === '.' || name === '..' || name.includes('/'))
    throw new Error(`not a single path component: ${JSON.stringify(name)}`);
  return openAsync(fdPath(parentFd, name), DIR_FLAGS);
}

export async function closeFd(fd: number): Promise<void> {
  try {
    await closeAsync(fd);
  } catch {
    /* already closed: nothing to release */
  }
}

export function closeFdSync(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

const fdinfoBuf = Buffer.alloc(1024);

/** The mount ID (as in mountinfo's first field) that an open fd lives on (called once per folder: kept cheap). */
export function mountIdOfFd(fd: number): number {
  const info = openSync(`/proc/self/fdinfo/${fd}`, 'r');
  let n: number;
  try {
    n = readSync(info, fdinfoBuf, 0, fdinfoBuf.length, 0);
  } finally {
    closeSync(info);
  }
  const m = /^mnt_id:\s*(\d+)/m.exec(fdinfoBuf.toString('latin1', 0, n));
  if (!m?.[1]) throw new Error(`no mnt_id in /proc/self/fdinfo/${fd}`);
  return Number(m[1]);
}

export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** fd-relative paths need the real procfs at /proc; anything else there cannot be trusted. */
export function procFdUsable(): boolean {
  try {
    return Number(statfsSync('/proc/self/fd', { bigint: true }).type) === 0x9fa0;
  } catch {
    return false;
  }
}
