// Moving a planned tree aside and deleting it through one parent directory fd: the parent is opened
// from `/` without following any symlink, the tree must still be the planned directory ("dev:ino"),
// and neither the rename nor the delete looks the path up again. Before deleting, the parent path is
// walked once more: if it no longer leads to the directory we hold, the trash stays (journalled)
// and the caller gets `changed` instead of a delete somewhere it did not plan.
import { closeFdSync } from '../fs/dir-fd.js';
import type { Journal } from '../guard/journal.js';
import { fileIdOfFd } from '../fs/open-nofollow.js';
import { openDirNoFollowSync } from '../fs/open-nofollow-sync.js';
import { startFindsEarly } from './early-finds.js';
import { silentLog } from '../log-like.js';
import type { FindSet } from './find-set.js';
import {
  deleteTreeIn,
  moveAsideIn,
  openParentSync,
  type DeleteOptions,
  type DeleteResult,
  type MoveAsideResult,
} from './safe-delete.js';

export interface DeleteAsideOptions extends Omit<DeleteOptions, 'expectFileId'> {
  /** "dev:ino" of the tree as planned. */
  fileId: string;
  /** After the rename, before the delete (a log line, a progress mark). */
  onMoved?(trashPath: string): void | Promise<void>;
}

export interface DeleteAsideResult {
  moved: MoveAsideResult;
  /** Absent when the tree was not moved, or when the delete was refused before it began. */
  deleted?: DeleteResult;
  /** Set when nothing more was done because the path or tree is not what was planned. */
  changed?: string;
}

/** The parent path still leads to the directory held open as `parentFd`. */
function sameParent(parentFd: number, realPath: string): string | null {
  const parent = realPath.slice(0, realPath.lastIndexOf('/')) || '/';
  const again = openDirNoFollowSync(parent);
  if (!again.ok) return again.reason;
  try {
    const held = fileIdOfFd(parentFd);
    const now = fileIdOfFd(again.fd);
    return held === now ? null : `${parent} is another directory now (${held} -> ${now})`;
  } finally {
    closeFdSync(again.fd);
  }
}

export async function deleteAside(
  realPath: string,
  journal: Journal | undefined,
  opts: DeleteAsideOptions,
): Promise<DeleteAsideResult> {
  const parentFd = openParentSync(realPath);
  if (typeof parentFd !== 'number') {
    const moved: MoveAsideResult = { ok: false, from: realPath, trashPath: null, reason: parentFd.why };
    return parentFd.changed ? { moved: { ...moved, changed: true }, changed: parentFd.why } : { moved };
  }
  let early: FindSet | undefined;
  try {
    // The finds (if any) start now; "go" waits for the checks made on the tree once moved aside.
    early = await startFindsEarly(parentFd, realPath, opts);
    const moved = await moveAsideIn(parentFd, realPath, journal, { expectFileId: opts.fileId });
    if (!moved.ok || !moved.trashPath) return moved.changed ? { moved, changed: moved.reason } : { moved };
    await opts.onMoved?.(moved.trashPath);
    const why = sameParent(parentFd, realPath);
    if (why !== null)
      return { moved, changed: `${why}: the trash ${moved.trashPath} is left for a run that plans again` };
    const { fileId, ...rest } = opts;
    const deleted = await deleteTreeIn(parentFd, moved.trashPath, {
      ...rest,
      expectFileId: fileId,
      startedFinds: early,
    });
    return deleted.changed ? { moved, deleted, changed: deleted.refused } : { moved, deleted };
  } finally {
    // No child outlives the call (a namespace keeps every file system it copied alive).
    const alive = (await early?.end()) ?? [];
    closeFdSync(parentFd);
    if (alive.length > 0)
      (opts.log ?? silentLog).warn({ target: realPath, pids: alive }, 'find children did not exit after SIGKILL');
  }
}
