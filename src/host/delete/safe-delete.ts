// Over 250 lines on purpose: the one deleter's entry point keeps its refusals up front and its phases in order, like systemd's rm_rf.
// Deleting a tree the way systemd's rm_rf does: through directory fds, never following a symlink,
// stopping at every mount point (same file system included), refusing pseudo file systems, and
// refusing outright while anything is mounted at or below the target.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmdirSync, statfsSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { closeFd, closeFdSync, fdPath, fstatBig, mountIdOfFd, procFdUsable } from '../fs/dir-fd.js';
import { defaultWorkers, runDelete } from './run.js';
import { removeInBulk, type BulkHooks } from './bulk-find.js';
import type { FindSet } from './find-set.js';
import { findsFor, WALKER_BELOW } from './bulk-choice.js';
import type { Tally } from './walk-state.js';
import { type LogLike, silentLog } from '../log-like.js';
import { fsTypeName, isPseudoFs } from '../fs/fs-type.js';
import { openJournal, type Journal } from '../guard/journal.js';
import { parseMountinfo, type MountEntry } from '../mounts/mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';
import { fileIdOfFd } from '../fs/open-nofollow.js';
import { openDirAtSync, openDirNoFollowSync } from '../fs/open-nofollow-sync.js';
import { assertTeardownTarget } from '../guard/path-policy.js';
import { overlayLayerUse } from '../mounts/overlay-layers.js';

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
  /** "dev:ino" the directory must still have (as planned); anything else refuses with `changed`. */
  expectFileId?: string;
  /**
   * auto (default): for a tree already moved aside to a trash name (isTrashName), as root, the
   * system's find removes the bulk in a private mount namespace after the checks (see
   * bulk-find.ts), and the walker finishes what is left; any other tree, or walker: the walker
   * alone (per-folder mount checks through fds, worker threads). A user-named path is never given
   * to find: a mount made on the host under it after find's namespace was copied would be
   * detached when find removes the folder it sits on.
   */
  method?: 'auto' | 'walker';
  /**
   * Entries (files + folders) the plan counted. On the find path it decides how many finds are
   * worth starting, and a tree too small to pay for one is left to the walker (bulk-choice.ts).
   */
  expectedEntries?: number;
  /** Where a refusal to report success is logged (host mounts changed while find ran). */
  log?: LogLike;
  /**
   * On the find path, the walker removes what it can on this thread while the finds start
   * (default true); false leaves everything to find (tests of find itself).
   */
  walkerWhileFindStarts?: boolean;
  /** Test hooks into the bulk path. */
  bulkHooks?: BulkHooks;
  /**
   * Finds deleteAside started before the move-aside (their exec chain and namespace overlap its
   * steps); they get every check here as any other find would. The caller ends the set.
   */
  startedFinds?: FindSet;
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
  /** The refusal is because the path no longer leads to the planned directory (an ancestor swapped). */
  changed?: boolean;
  /** Worker threads that took part. */
  workers?: number;
  /** Who removed the bulk, and how the counts were measured (or why find was not used). */
  via?: 'find' | 'walker';
  accounting?: string;
}

/** Below this depth (from the top or the last relocation) a folder is moved up before entering it. */
const RELOCATE_DEPTH = 256;

export function describeMounts(ms: readonly MountEntry[]): string {
  return ms.map((m) => `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source})`).join(', ');
}

/**
 * Preconditions shared by deleteTree and moveAside; a string is the refusal. Synchronous on
 * purpose, as are the deleter's other fixed steps: each takes microseconds, and an await on the
 * thread pool gives up the processor, which a loaded machine returns only after milliseconds.
 */
function checkTarget(realPath: string): { mounts: MountEntry[] } | string {
  try {
    assertTeardownTarget(realPath);
  } catch (e) {
    return (e as Error).message;
  }
  if (!procFdUsable()) return '/proc is not procfs: fd-relative deletion is impossible, refusing';
  const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const under = mounts.filter((m) => isAtOrUnder(m.mountPoint, realPath));
  if (under.length > 0) return `still mounted at or under ${realPath}: ${describeMounts(under)}`;
  const layer = overlayLayerUse(mounts, realPath);
  if (layer) return layer;
  return { mounts };
}

type Refusal = { why: string; changed?: boolean };

/** The parent of `realPath`, opened from `/` without following a symlink on the way. */
export async function openParent(realPath: string): Promise<number | Refusal> {
  return openParentSync(realPath);
}

export function openParentSync(realPath: string): number | Refusal {
  const p = openDirNoFollowSync(dirname(realPath));
  if (p.ok) return p.fd;
  return { why: `cannot open the parent of ${realPath}: ${p.reason}`, changed: p.code === 'changed' };
}

function refusedResult(realPath: string, r: Refusal): DeleteResult {
  const res: DeleteResult = {
    deletedFiles: 0,
    deletedDirs: 0,
    bytes: 0,
    skipped: [],
    complete: false,
    refused: r.why,
    errors: [{ path: realPath, op: 'refuse', code: r.changed ? 'CHANGED' : 'REFUSED', message: r.why }],
  };
  if (r.changed) res.changed = true;
  return res;
}

/** The tree is the planned directory still (a refusal otherwise). */
function fileIdRefusal(fd: number, realPath: string, expect?: string): Refusal | null {
  if (expect === undefined) return null;
  const id = fileIdOfFd(fd);
  return id === expect
    ? null
    : { why: `${realPath} is not the planned directory any more (${expect} -> ${id}): plan again`, changed: true };
}

export async function deleteTree(realPath: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
  const parentFd = await openParent(realPath);
  if (typeof parentFd !== 'number') return refusedResult(realPath, parentFd);
  try {
    return await deleteTreeIn(parentFd, realPath, opts);
  } finally {
    await closeFd(parentFd);
  }
}

/** deleteTree through an already opened parent directory fd (never looked up again by path). */
export async function deleteTreeIn(
  parentFd: number,
  realPath: string,
  opts: DeleteOptions = {},
): Promise<DeleteResult> {
  const res: DeleteResult = { deletedFiles: 0, deletedDirs: 0, bytes: 0, skipped: [], errors: [], complete: false };
  const refuse = (why: string, changed = false): DeleteResult => refusedResult(realPath, { why, changed });
  const checked = checkTarget(realPath);
  if (typeof checked === 'string') return refuse(checked);
  if (opts.mountPoints?.has(realPath)) return refuse(`${realPath} is a mount point`);

  let rootFd = -1;
  try {
    try {
      rootFd = openDirAtSync(parentFd, basename(realPath));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ...res, complete: true };
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        // O_NOFOLLOW|O_DIRECTORY reports a symlink as either, depending on the kernel.
        const link = await lstat(fdPath(parentFd, basename(realPath))).then(
          (st) => st.isSymbolicLink(),
          () => false,
        );
        return refuse(
          link ? `${realPath} is a symlink: the caller must pass the real path` : `${realPath} is not a directory`,
        );
      }
      return refuse(`cannot open ${realPath}: ${String(e)}`);
    }
    const swapped = fileIdRefusal(rootFd, realPath, opts.expectFileId);
    if (swapped) return refuse(swapped.why, true);
    const rootMntId = mountIdOfFd(rootFd);
    if (mountIdOfFd(parentFd) !== rootMntId) return refuse(`${realPath} is itself a mount point`);
    const mount = checked.mounts.find((m) => m.id === rootMntId);
    if (!mount) return refuse(`the mount holding ${realPath} (id ${rootMntId}) is not in mountinfo`);
    const statType = fsTypeName(statfsSync(fdPath(rootFd), { bigint: true }).type);
    // devtmpfs reports tmpfs's magic, so mountinfo's type is checked as well.
    if (isPseudoFs(mount.fsType) || isPseudoFs(statType))
      return refuse(`${realPath} is on a pseudo file system (${mount.fsType}/${statType})`);

    let lastProgress = 0;
    const progress = (force = false): void => {
      const now = Date.now();
      if (opts.onProgress && (force || now - lastProgress >= 100)) {
        lastProgress = now;
        opts.onProgress(res.deletedFiles, res.bytes);
      }
    };
    res.via = 'walker';
    res.accounting = opts.countBytes === false ? 'walker (bytes not counted)' : 'walker, lstat of each file';
    const ctx = {
      rootFd,
      rootPath: realPath,
      rootDev: Number(fstatBig(rootFd).dev),
      rootMnt: rootMntId,
      mountPoints: [...(opts.mountPoints ?? [])],
      countBytes: opts.countBytes ?? true,
      relocateDepth: RELOCATE_DEPTH,
    };
    const add = (d: Tally): void => {
      res.deletedFiles += d.files;
      res.deletedDirs += d.dirs;
      res.bytes += d.bytes;
      progress();
    };
    const finds = opts.startedFinds?.children.length ?? findsFor(opts.expectedEntries);
    let findPath = false;
    if ((opts.method ?? 'auto') === 'auto' && !opts.mountPoints?.size) {
      if (!isTrashName(basename(realPath))) res.accounting += ' (in place: find is used only on trees moved aside)';
      else if (finds === 0)
        res.accounting += ` (find not started: ${opts.expectedEntries} entries planned, below ${WALKER_BELOW})`;
      else {
        findPath = true;
        // While the finds start, the walker works here (a tree of a few hundred entries is gone
        // before they are ready). What it could not remove is walked again below, so only its
        // counts are kept here, not its skips and errors.
        const raced = { files: 0, dirs: 0 };
        const meanwhile = {
          work: async (ready: () => boolean): Promise<boolean> => {
            const r = await runDelete(ctx, {
              workers: 0,
              stopWhen: ready,
              onTally: (d) => {
                raced.files += d.files;
                raced.dirs += d.dirs;
                add(d);
              },
            });
            return !r.stopped;
          },
        };
        const bulk = await removeInBulk(
          rootFd,
          realPath,
          fileIdOfFd(rootFd),
          (d) => add({ ...d, bytes: opts.countBytes === false ? 0 : d.bytes }),
          opts.bulkHooks,
          finds,
          opts.walkerWhileFindStarts === false ? undefined : meanwhile,
          opts.startedFinds,
        );
        if (bulk.ran) res.via = 'find';
        res.accounting =
          raced.files + raced.dirs > 0
            ? `${bulk.note}; the walker removed ${raced.files} files and ${raced.dirs} folders while find started`
            : bulk.note;
        if (bulk.incomplete !== undefined) {
          // Like a lazy detach: what the mount exposed is not ours to judge; stop, keep the rest.
          res.errors.push({ path: realPath, op: 'find', code: 'EMOUNTCHANGED', message: bulk.incomplete });
          (opts.log ?? silentLog).warn({ target: realPath, reason: bulk.incomplete }, 'delete not complete');
          progress(true);
          return res;
        }
      }
    }
    // Finds started early but not used here: gone before the walker starts.
    if (!findPath) await opts.startedFinds?.end();
    const run = await runDelete(ctx, {
      workers: opts.workers ?? defaultWorkers(),
      eager: opts.eagerWorkers,
      onTally: add,
    });
    res.skipped = run.skipped;
    res.errors = run.errors;
    res.workers = run.workers;
    if (!run.keep) {
      try {
        rmdirSync(fdPath(parentFd, basename(realPath)));
        res.deletedDirs++;
        res.complete = res.errors.length === 0 && res.skipped.length === 0;
      } catch (e) {
        res.errors.push({
          path: realPath,
          op: 'rmdir',
          code: (e as NodeJS.ErrnoException).code ?? 'ERROR',
          message: String(e),
        });
      }
    }
    progress(true);
    return res;
  } finally {
    if (rootFd >= 0) closeFdSync(rootFd);
  }
}

export interface MoveAsideResult {
  ok: boolean;
  from: string;
  trashPath: string | null;
  reason?: string;
  /** Refused because the path no longer leads to the planned directory. */
  changed?: boolean;
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
 * step `trash:<trashPath>` (with the tree's fileId) is recorded before the rename and stays pending
 * until the caller records it done after deleting the trash, so the next run can finish it.
 */
export async function moveAside(
  realPath: string,
  journal?: string | Journal,
  opts: { expectFileId?: string } = {},
): Promise<MoveAsideResult> {
  const parentFd = await openParent(realPath);
  if (typeof parentFd !== 'number')
    return {
      ok: false,
      from: realPath,
      trashPath: null,
      reason: parentFd.why,
      ...(parentFd.changed ? { changed: true } : {}),
    };
  try {
    return await moveAsideIn(parentFd, realPath, journal, opts);
  } finally {
    await closeFd(parentFd);
  }
}

/** moveAside through an already opened parent directory fd (the rename never looks the path up). */
export async function moveAsideIn(
  parentFd: number,
  realPath: string,
  journal?: string | Journal,
  opts: { expectFileId?: string } = {},
): Promise<MoveAsideResult> {
  const no = (reason: string, changed = false): MoveAsideResult => ({
    ok: false,
    from: realPath,
    trashPath: null,
    reason,
    ...(changed ? { changed } : {}),
  });
  const checked = checkTarget(realPath);
  if (typeof checked === 'string') return no(checked);
  let rootFd: number | string;
  try {
    rootFd = openDirAtSync(parentFd, basename(realPath));
  } catch (e) {
    rootFd = (e as NodeJS.ErrnoException).code ?? 'ERROR';
  }
  if (typeof rootFd === 'string') return no(`${realPath} is not an openable directory (${rootFd})`);
  let fileId: string;
  try {
    const swapped = fileIdRefusal(rootFd, realPath, opts.expectFileId);
    if (swapped) return no(swapped.why, true);
    if (mountIdOfFd(rootFd) !== mountIdOfFd(parentFd)) return no(`${realPath} is itself a mount point`);
    fileId = fileIdOfFd(rootFd);
  } finally {
    closeFdSync(rootFd);
  }
  const j = typeof journal === 'string' ? await openJournal(journal, realPath) : journal;
  try {
    const trashPath = trashPathFor(realPath);
    const step = { id: trashStepId(trashPath), step: 'trash', from: realPath, to: trashPath, fileId };
    await j?.begin(step);
    try {
      renameSync(fdPath(parentFd, basename(realPath)), fdPath(parentFd, basename(trashPath)));
    } catch (e) {
      await j?.done(step, { outcome: 'not-moved', error: String(e) });
      throw e;
    }
    return { ok: true, from: realPath, trashPath };
  } catch (e) {
    return no(`rename failed: ${String(e)}`);
  } finally {
    if (typeof journal === 'string') await j?.close();
  }
}
