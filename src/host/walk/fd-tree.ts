// One iterative, bounded-concurrency walk over a directory tree through directory fds, for the
// read-only planners (sizes, cache eviction, temp files, lock files; the deleter has its own
// synchronous walker). It never follows a symlink, and never enters a directory on another device,
// on another mount (fdinfo mnt_id: catches same-file-system bind mounts) or named as a mount point.
import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { closeFd, closeFdSync, fdPath, fstatBig, mountIdOfFd, openDirAt } from '../fs/dir-fd.js';

export interface FdDir {
  fd: number;
  /** Logical path (may exceed PATH_MAX; for reports and mount-point matching only). */
  path: string;
  name: string;
  parent: FdDir | null;
  depth: number;
  /** Entries not finished yet; the directory is done when this reaches 0. */
  pending: number;
  /** Something below could not be removed or was skipped: the directory must stay. */
  keep: boolean;
}

export interface WalkIssue {
  path: string;
  op: string;
  code: string;
  message: string;
}

export interface TreeVisitor {
  /** A non-directory entry (never followed). Throwing records an error and keeps its directory. */
  file(dir: FdDir, name: string, st: Stats): Promise<void>;
  /** Every entry below `dir` is finished (its fd and its parent's fd are still open). */
  dirDone?(dir: FdDir): Promise<void>;
}

export interface FdWalkOptions {
  rootFd: number;
  rootPath: string;
  rootDev: bigint;
  rootMntId: number;
  concurrency?: number;
  /** Extra paths to treat as mount points (the walk also re-checks the real mount of each dir). */
  mountPoints?: () => ReadonlySet<string>;
  stop?: () => boolean;
}

export interface FdWalkResult {
  skipped: { path: string; reason: string }[];
  errors: WalkIssue[];
  stopped: boolean;
  /** The root could not be emptied (something below was kept, failed, or the walk stopped). */
  rootKeep: boolean;
}

type Task =
  | { kind: 'open'; parent: FdDir; name: string }
  | { kind: 'file'; dir: FdDir; name: string }
  | { kind: 'scan'; dir: FdDir };

function issue(path: string, op: string, e: unknown): WalkIssue {
  const err = e as NodeJS.ErrnoException;
  return { path, op, code: err?.code ?? 'ERROR', message: err?.message ?? String(e) };
}

export function markKeep(dir: FdDir | null): void {
  for (let d = dir; d && !d.keep; d = d.parent) d.keep = true;
}

/** Walks the tree below `opts.rootFd`; the root fd stays owned (and open) by the caller. */
export async function walkFdTree(visitor: TreeVisitor, opts: FdWalkOptions): Promise<FdWalkResult> {
  const limit = Math.max(1, opts.concurrency ?? 16);
  const root: FdDir = {
    fd: opts.rootFd,
    path: opts.rootPath,
    name: '',
    parent: null,
    depth: 0,
    pending: 0,
    keep: false,
  };
  const result: FdWalkResult = { skipped: [], errors: [], stopped: false, rootKeep: false };
  const openDirs = new Set<FdDir>();
  const stack: Task[] = [{ kind: 'scan', dir: root }];
  let active = 0;
  const stopped = (): boolean => (result.stopped ||= opts.stop?.() ?? false);

  const childDone = async (dir: FdDir): Promise<void> => {
    for (let d: FdDir | null = dir; d && --d.pending === 0; d = d.parent) {
      if (d === root) break;
      try {
        if (visitor.dirDone) await visitor.dirDone(d);
      } catch (e) {
        result.errors.push(issue(d.path, 'dirDone', e));
        markKeep(d.parent);
      } finally {
        openDirs.delete(d);
        await closeFd(d.fd);
      }
    }
  };

  const skip = async (parent: FdDir, path: string, reason: string): Promise<void> => {
    result.skipped.push({ path, reason });
    markKeep(parent);
    await childDone(parent);
  };

  const openChild = async (parent: FdDir, name: string): Promise<void> => {
    const path = `${parent.path}/${name}`;
    if (opts.mountPoints?.().has(path)) return skip(parent, path, 'mount point (mountinfo)');
    let fd: number;
    try {
      fd = await openDirAt(parent.fd, name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') return fileEntry(parent, name); // replaced by a non-directory
      if (code === 'ENOENT') return childDone(parent);
      result.errors.push(issue(path, 'open', e));
      markKeep(parent);
      return childDone(parent);
    }
    let reason: string | null = null;
    try {
      if (fstatBig(fd).dev !== opts.rootDev) reason = 'other file system (st_dev differs)';
      else if (mountIdOfFd(fd) !== opts.rootMntId) reason = 'mount point (another mount, same file system)';
    } catch (e) {
      reason = `cannot verify its mount: ${String(e)}`;
    }
    if (reason !== null) {
      closeFdSync(fd);
      return skip(parent, path, reason);
    }
    const dir: FdDir = { fd, path, name, parent, depth: parent.depth + 1, pending: 0, keep: false };
    openDirs.add(dir);
    return scan(dir);
  };

  const scan = async (dir: FdDir): Promise<void> => {
    let entries;
    try {
      entries = await readdir(fdPath(dir.fd), { withFileTypes: true });
    } catch (e) {
      result.errors.push(issue(dir.path, 'readdir', e));
      markKeep(dir);
      dir.pending = 1;
      return childDone(dir);
    }
    dir.pending = entries.length + 1; // +1 until every entry is queued
    for (const e of entries)
      stack.push(e.isDirectory() ? { kind: 'open', parent: dir, name: e.name } : { kind: 'file', dir, name: e.name });
    return childDone(dir);
  };

  const fileEntry = async (dir: FdDir, name: string): Promise<void> => {
    const path = `${dir.path}/${name}`;
    try {
      const st = await lstat(fdPath(dir.fd, name));
      if (st.isDirectory()) return openChild(dir, name); // became a directory since readdir
      await visitor.file(dir, name, st);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        result.errors.push(issue(path, 'file', e));
        markKeep(dir);
      }
    }
    return childDone(dir);
  };

  const run = async (t: Task): Promise<void> => {
    try {
      if (t.kind === 'scan') await scan(t.dir);
      else if (t.kind === 'open') await openChild(t.parent, t.name);
      else await fileEntry(t.dir, t.name);
    } catch (e) {
      result.errors.push(issue(t.kind === 'open' ? t.parent.path : t.dir.path, t.kind, e));
    }
  };

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (active < limit && stack.length > 0 && !stopped()) {
        const t = stack.pop() as Task;
        active++;
        void run(t).then(() => {
          active--;
          pump();
        });
      }
      if (active === 0 && (stack.length === 0 || stopped())) resolve();
    };
    pump();
  });
  // Stopped early: release every directory still open (the root belongs to the caller).
  for (const d of openDirs) closeFdSync(d.fd);
  if (result.stopped) markKeep(root);
  result.rootKeep = root.keep;
  return result;
}
