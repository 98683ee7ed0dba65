// Stale lock files inside build trees (a chroot's dpkg/apt locks, *.lock, *.pid left by a killed
// build). Only ever below a given root: the host's own /var/lib/dpkg, /var/lib/apt and
// /var/cache/apt are refused outright. A lock is stale only when nobody holds it (/proc/locks),
// nobody has it open (/proc/*/fd), and a PID written in it (if any) is dead.
import { readdir, readFile, readlink, stat, unlink, lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fdPath } from '../fs/dir-fd.js';
import { isAtOrUnder, pathComponents } from '../fs/paths.js';
import { walkFiles } from './tree-walk.js';
import { WithinRoot } from '../fs/within-root.js';

export const HOST_LOCK_DIRS = ['/var/lib/dpkg', '/var/lib/apt', '/var/cache/apt'];

export interface LockFile {
  path: string;
  fileId: string;
  pid: number | null;
  pidAlive: boolean | null;
  /** PIDs holding a POSIX/flock lock on it per /proc/locks (-1: an OFD lock). */
  heldBy: number[];
  /** PIDs with the file open per /proc/PID/fd. */
  openBy: number[];
  stale: boolean;
  reason: string;
}

export interface StaleLockScan {
  root: string;
  locks: LockFile[];
  truncated: boolean;
  /** False when some /proc/PID/fd could not be read: then nothing is called stale. */
  certain: boolean;
  refused?: string;
}

export function isLockName(name: string): boolean {
  return (
    name === 'lock' ||
    name === 'lock-frontend' ||
    name === 'Lock' ||
    name.endsWith('.lock') ||
    name.endsWith('.pid') ||
    name.startsWith('LCK..')
  );
}

/** Why `root` may not be searched, or null (canonical, below a top-level folder, no host lock dir). */
export function refuseLockRoot(root: string): string | null {
  const c = pathComponents(root);
  if (!c || root !== '/' + c.join('/')) return `${root} is not a canonical absolute path`;
  if (c.length < 2) return `${root} is / or a top-level folder`;
  for (const d of HOST_LOCK_DIRS) {
    if (isAtOrUnder(d, root) || isAtOrUnder(root, d)) return `${root} would reach the host's ${d}`;
  }
  return null;
}

function devKey(dev: bigint, ino: bigint): string {
  return `${dev}:${ino}`;
}

/** "maj:min:ino" keys (as /proc/locks prints them: hex device, decimal inode) to holder PIDs. */
async function procLocks(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const text = await readFile('/proc/locks', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m || m[1]) continue; // "->" lines are waiters, not holders
    const key = `${parseInt(m[3] as string, 16)}:${parseInt(m[4] as string, 16)}:${m[5]}`;
    out.set(key, [...(out.get(key) ?? []), Number(m[2])]);
  }
  return out;
}

function majMinKey(dev: bigint, ino: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return `${major}:${minor}:${ino}`;
}

/** dev:ino of candidate files to the PIDs having them open; `certain` false if some fd dir was unreadable. */
async function openers(names: ReadonlySet<string>): Promise<{ map: Map<string, number[]>; certain: boolean }> {
  const map = new Map<string, number[]>();
  let certain = true;
  for (const pidName of await readdir('/proc')) {
    if (!/^\d+$/.test(pidName)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pidName}/fd`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') certain = false;
      continue;
    }
    for (const fd of fds) {
      const p = `/proc/${pidName}/fd/${fd}`;
      try {
        // The link text is relative to that process's root (a chroot): match names, then inodes.
        if (!names.has(basename(await readlink(p)))) continue;
        const st = await stat(p, { bigint: true });
        const k = devKey(st.dev, st.ino);
        map.set(k, [...(map.get(k) ?? []), Number(pidName)]);
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return { map, certain };
}

async function readPid(fd: number, name: string): Promise<number | null> {
  try {
    const text = (await readFile(fdPath(fd, name), 'utf8')).slice(0, 64);
    const m = /^\s*(\d{1,10})\s*$/.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function judge(
  within: WithinRoot,
  path: string,
  locks: Map<string, number[]>,
  open: Map<string, number[]>,
  certain: boolean,
): Promise<LockFile | null> {
  const parent = await within.parentOf(path);
  if (!parent.ok) return null;
  const st = await lstat(fdPath(parent.fd, parent.name), { bigint: true }).catch(() => null);
  if (!st?.isFile()) return null;
  const pid = await readPid(parent.fd, parent.name);
  const pidAlive =
    pid === null
      ? null
      : await stat(`/proc/${pid}`).then(
          () => true,
          () => false,
        );
  const heldBy = locks.get(majMinKey(st.dev, st.ino)) ?? [];
  const openBy = open.get(devKey(st.dev, st.ino)) ?? [];
  const why =
    heldBy.length > 0
      ? `locked by pid ${heldBy.join(', ')}`
      : openBy.length > 0
        ? `open in pid ${openBy.join(', ')}`
        : pidAlive
          ? `pid ${pid} is alive`
          : !certain
            ? 'cannot see every process (not root?)'
            : null;
  return {
    path,
    fileId: devKey(st.dev, st.ino),
    pid,
    pidAlive,
    heldBy,
    openBy,
    stale: why === null,
    reason: why ?? (pid !== null ? `pid ${pid} is dead; nobody holds or opens it` : 'nobody holds or opens it'),
  };
}

export async function findStaleLocks(root: string, opts: { maxEntries?: number } = {}): Promise<StaleLockScan> {
  const refused = refuseLockRoot(root);
  if (refused) return { root, locks: [], truncated: false, certain: false, refused };
  const paths: string[] = [];
  const walk = await walkFiles(
    root,
    (p, st) => {
      if (st.isFile() && isLockName(basename(p))) paths.push(p);
    },
    { maxEntries: opts.maxEntries ?? 1_000_000 },
  );
  const found: LockFile[] = [];
  let certain = true;
  if (paths.length > 0) {
    const locks = await procLocks();
    const open = await openers(new Set(paths.map((p) => basename(p))));
    certain = open.certain;
    const within = await WithinRoot.open(root);
    try {
      for (const p of paths.sort()) {
        const j = await judge(within, p, locks, open.map, certain);
        if (j) found.push(j);
      }
    } finally {
      within.close();
    }
  }
  return { root, locks: found, truncated: walk.truncated, certain };
}

/** Removes one lock found stale, after judging it again (same inode, still unheld and unopened). */
export async function removeStaleLock(
  root: string,
  lock: Pick<LockFile, 'path' | 'fileId'>,
): Promise<{ removed: boolean; reason: string }> {
  const refused = refuseLockRoot(root);
  if (refused) return { removed: false, reason: refused };
  if (!isAtOrUnder(lock.path, root) || HOST_LOCK_DIRS.some((d) => isAtOrUnder(lock.path, d)))
    return { removed: false, reason: `${lock.path} is not below ${root}` };
  const within = await WithinRoot.open(root);
  try {
    const open = await openers(new Set([basename(lock.path)]));
    const j = await judge(within, lock.path, await procLocks(), open.map, open.certain);
    if (!j) return { removed: false, reason: 'gone or no longer a plain file' };
    if (j.fileId !== lock.fileId) return { removed: false, reason: 'replaced since it was found' };
    if (!j.stale) return { removed: false, reason: `not stale: ${j.reason}` };
    const parent = await within.parentOf(lock.path);
    if (!parent.ok) return { removed: false, reason: parent.reason };
    await unlink(fdPath(parent.fd, parent.name));
    return { removed: true, reason: j.reason };
  } finally {
    within.close();
  }
}
