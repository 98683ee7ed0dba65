// Deleting a tree the way systemd's rm_rf does: through directory fds, never following a symlink,
// stopping at every mount point (same file system included), refusing pseudo file systems, and
// refusing outright while anything is mounted at or below the target.
import { randomBytes } from 'node:crypto';
import { lstat, rename, rmdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { closeFd, fdPath, fstatBig, mountIdOfFd, openDir, openDirAt, procFdUsable } from './dir-fd.js';
import { defaultWorkers, runDelete } from './delete-run.js';
import { isPseudoFs, statfsType } from './fs-type.js';
import { openJournal, type Journal } from './journal.js';
import { isAtOrUnder, readMountinfo, type MountEntry } from './mountinfo.js';
import { assertTeardownTarget } from './path-policy.js';

export interface DeleteOptions {
  /** Called at most every 100 ms and once at the end. */
  onProgress?(files: number, bytes: number): void;
  /** Paths to treat as mount points in addition to what mountinfo and the fds say. */
  mountPoints?: Set<string>;
  /** Worker threads for a big tree (0: all on this thread, in slices). */
  workers?: number;
  /** Start them at once rather than when the disk proves slow or processors sit idle. */
  eagerWorkers?: boolean;
  /** Sum the sizes of removed files (an lstat each; default true). Without it `bytes` stays 0. */
  countBytes?: boolean;
}

export interface DeleteResult {
  deletedFiles: number;
  deletedDirs: number;
  /** Apparent size (st_size) of the non-directories removed. */
  bytes: number;
  skipped: { path: string; reason: string }[];
  errors: { path: string; op: string; code: string; message: string }[];
  /** The whole tree is gone (or was never there). */
  complete: boolean;
  /** Set when nothing was attempted. */
  refused?: string;
  /** Worker threads that took part. */
  workers?: number;
}

/** Below this depth (from the top or the last relocation) a folder is moved up before entering it. */
const RELOCATE_DEPTH = 256;

export function describeMounts(ms: readonly MountEntry[]): string {
  return ms.map((m) => `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source})`).join(', ');
}

/** Preconditions shared by deleteTree and moveAside; a string is the refusal. */
async function checkTarget(realPath: string): Promise<{ mounts: MountEntry[] } | string> {
  try {
    assertTeardownTarget(realPath);
  } catch (e) {
    return (e as Error).message;
  }
  if (!procFdUsable()) return '/proc is not procfs: fd-relative deletion is impossible, refusing';
  const mounts = await readMountinfo();
  const under = mounts.filter((m) => isAtOrUnder(m.mountPoint, realPath));
  if (under.length > 0) return `still mounted at or under ${realPath}: ${describeMounts(under)}`;
  return { mounts };
}

export async function deleteTree(realPath: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
  const res: DeleteResult = { deletedFiles: 0, deletedDirs: 0, bytes: 0, skipped: [], errors: [], complete: false };
  const refuse = (why: string): DeleteResult => ({ ...res, refused: why, errors: [{ path: realPath, op: 'refuse', code: 'REFUSED', message: why }] });
  const checked = await checkTarget(realPath);
  if (typeof checked === 'string') return refuse(checked);
  if (opts.mountPoints?.has(realPath)) return refuse(`${realPath} is a mount point`);

  let parentFd: number;
  try {
    parentFd = await openDir(dirname(realPath));
  } catch (e) {
    return refuse(`cannot open the parent of ${realPath}: ${String(e)}`);
  }
  let rootFd = -1;
  try {
    try {
      rootFd = await openDirAt(parentFd, basename(realPath));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ...res, complete: true };
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        // O_NOFOLLOW|O_DIRECTORY reports a symlink as either, depending on the kernel.
        const link = await lstat(fdPath(parentFd, basename(realPath))).then((st) => st.isSymbolicLink(), () => false);
        return refuse(link ? `${realPath} is a symlink: the caller must pass the real path` : `${realPath} is not a directory`);
      }
      return refuse(`cannot open ${realPath}: ${String(e)}`);
    }
    const rootMntId = mountIdOfFd(rootFd);
    if (mountIdOfFd(parentFd) !== rootMntId) return refuse(`${realPath} is itself a mount point`);
    const mount = checked.mounts.find((m) => m.id === rootMntId);
    if (!mount) return refuse(`the mount holding ${realPath} (id ${rootMntId}) is not in mountinfo`);
    const statType = await statfsType(fdPath(rootFd));
    // devtmpfs reports tmpfs's magic, so mountinfo's type is checked as well.
    if (isPseudoFs(mount.fsType) || isPseudoFs(statType)) return refuse(`${realPath} is on a pseudo file system (${mount.fsType}/${statType})`);

    let lastProgress = 0;
    const progress = (force = false): void => {
      const now = Date.now();
      if (opts.onProgress && (force || now - lastProgress >= 100)) {
        lastProgress = now;
        opts.onProgress(res.deletedFiles, res.bytes);
      }
    };
    const run = await runDelete(
      {
        rootFd,
        rootPath: realPath,
        rootDev: Number(fstatBig(rootFd).dev),
        rootMnt: rootMntId,
        mountPoints: [...(opts.mountPoints ?? [])],
        countBytes: opts.countBytes ?? true,
        relocateDepth: RELOCATE_DEPTH,
      },
      {
        workers: opts.workers ?? defaultWorkers(),
        eager: opts.eagerWorkers,
        onTally: (d) => {
          res.deletedFiles += d.files;
          res.deletedDirs += d.dirs;
          res.bytes += d.bytes;
          progress();
        },
      },
    );
    res.skipped = run.skipped;
    res.errors = run.errors;
    res.workers = run.workers;
    if (!run.keep) {
      try {
        await rmdir(fdPath(parentFd, basename(realPath)));
        res.deletedDirs++;
        res.complete = res.errors.length === 0 && res.skipped.length === 0;
      } catch (e) {
        res.errors.push({ path: realPath, op: 'rmdir', code: (e as NodeJS.ErrnoException).code ?? 'ERROR', message: String(e) });
      }
    }
    progress(true);
    return res;
  } finally {
    if (rootFd >= 0) await closeFd(rootFd);
    await closeFd(parentFd);
  }
}

export interface MoveAsideResult {
  ok: boolean;
  from: string;
  trashPath: string | null;
  reason?: string;
}

const TRASH_RE = /^\..+\.isoswarm-trash-[0-9a-z]+-[0-9a-f]{8}$/;

export function isTrashName(name: string): boolean {
  return TRASH_RE.test(name);
}

/** A fresh sibling name `.<name>.isoswarm-trash-<id>` (kept under NAME_MAX). */
export function trashPathFor(realPath: string): string {
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return `${dirname(realPath)}/.${basename(realPath).slice(0, 200)}.isoswarm-trash-${id}`;
}

export function trashStepId(trashPath: string): string {
  return `trash:${trashPath}`;
}

/**
 * Renames the tree to a trash sibling in the same folder (same file system, atomic): an interrupted
 * delete then leaves either the whole tree or only trash. With a journal (or a journal dir), the
 * step `trash:<trashPath>` is recorded before the rename and stays pending until the caller records
 * it done after deleting the trash, so the next run can finish what this one began.
 */
export async function moveAside(realPath: string, journal?: string | Journal): Promise<MoveAsideResult> {
  const no = (reason: string): MoveAsideResult => ({ ok: false, from: realPath, trashPath: null, reason });
  const checked = await checkTarget(realPath);
  if (typeof checked === 'string') return no(checked);
  const parentFd = await openDir(dirname(realPath)).catch(() => -1);
  if (parentFd < 0) return no(`cannot open the parent of ${realPath}`);
  const j = typeof journal === 'string' ? await openJournal(journal, realPath) : journal;
  try {
    const rootFd = await openDirAt(parentFd, basename(realPath)).catch((e: NodeJS.ErrnoException) => e.code ?? 'ERROR');
    if (typeof rootFd === 'string') return no(`${realPath} is not an openable directory (${rootFd})`);
    const sameMount = mountIdOfFd(rootFd) === mountIdOfFd(parentFd);
    await closeFd(rootFd);
    if (!sameMount) return no(`${realPath} is itself a mount point`);
    const trashPath = trashPathFor(realPath);
    const step = { id: trashStepId(trashPath), step: 'trash', from: realPath, to: trashPath };
    await j?.begin(step);
    try {
      await rename(fdPath(parentFd, basename(realPath)), fdPath(parentFd, basename(trashPath)));
    } catch (e) {
      await j?.done(step, { outcome: 'not-moved', error: String(e) });
      throw e;
    }
    return { ok: true, from: realPath, trashPath };
  } catch (e) {
    return no(`rename failed: ${String(e)}`);
  } finally {
    await closeFd(parentFd);
    if (typeof journal === 'string') await j?.close();
  }
}
