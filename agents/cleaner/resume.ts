// Finishing what an interrupted Cleaner run began: the journal names each trash folder made by
// moving a tree aside, and that step stays pending until the trash is fully deleted.
import { lstat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { listUnfinished, openJournal, type Journal, type PendingStep } from '../../src/host/guard/journal.js';
import { silentLog, type LogLike } from '../../src/host/log-like.js';
import { canonicalPolicy, checkPolicy, readHomeDirs, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { deleteTree, isTrashName } from '../../src/host/delete/safe-delete.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import type { ApplyCleanOptions, CleanProgress, Deleted } from './types.js';

export interface ResumeOutcome {
  trash: string[];
  deleted: Deleted;
  /** Pending cleaner steps that could not be finished (they stay pending for the next run). */
  problems: string[];
}

/** Steps written by applyClean that are superseded by planning again (nothing to finish). */
const REPLANNED = /^(evict|remove-temp|remove-locks|delete-in-place):/;

function trashOf(p: PendingStep, target: string, policy: PathPolicy, homes: readonly string[]): string | string[] {
  const to = p.data.to;
  if (typeof to !== 'string') return [`journal step ${p.step} has no trash path`];
  // Only a trash sibling of this very target, with our naming, inside the policy: never a path a
  // tampered journal could point anywhere else.
  if (dirname(to) !== dirname(target) || !isTrashName(basename(to)))
    return [`journal step ${p.step} names ${JSON.stringify(to)}, not a trash folder of ${target}: left alone`];
  const v = checkPolicy(to, policy, homes);
  if (!v.ok) return [`trash ${to} refused by the policy: ${v.reason}`];
  return to;
}

/** Caller holds the target lock and passes a canonical policy. */
export async function resumePending(
  journal: Journal,
  target: string,
  policy: PathPolicy,
  homes: readonly string[],
  opts: { log?: LogLike; onProgress?(p: CleanProgress): void } = {},
): Promise<ResumeOutcome> {
  const log = opts.log ?? silentLog;
  const out: ResumeOutcome = { trash: [], deleted: { files: 0, dirs: 0, bytes: 0 }, problems: [] };
  for (const p of journal.pending()) {
    if (REPLANNED.test(p.step)) {
      await journal.done(p.step, { outcome: 'superseded: planned again' });
      continue;
    }
    if (!p.step.startsWith('trash:')) continue; // another agent's step (the unmounter's): not ours to close
    const to = trashOf(p, target, policy, homes);
    if (Array.isArray(to)) {
      out.problems.push(...to);
      continue;
    }
    const exists = await lstat(to).then(
      () => true,
      (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
    );
    if (!exists) {
      await journal.done(p.step, { outcome: 'gone (never moved, or deleted before the journal said so)' });
      continue;
    }
    log.info({ target, trash: to, run: p.run }, 'finishing an interrupted delete');
    // The tree's "dev:ino" recorded before the rename: the trash must still be that directory.
    const expectFileId = typeof p.data.fileId === 'string' ? p.data.fileId : undefined;
    const d = await deleteTree(to, {
      expectFileId,
      log,
      onProgress: (files, bytes) => opts.onProgress?.({ path: to, files, bytes }),
    });
    out.deleted.files += d.deletedFiles;
    out.deleted.dirs += d.deletedDirs;
    out.deleted.bytes += d.bytes;
    if (d.complete) {
      out.trash.push(to);
      await journal.done(p.step, {
        outcome: 'deleted on resume',
        files: d.deletedFiles,
        dirs: d.deletedDirs,
        bytes: d.bytes,
      });
    } else {
      const why =
        d.refused ??
        [...d.skipped.map((s) => `${s.path}: ${s.reason}`), ...d.errors.map((e) => `${e.path}: ${e.code}`)]
          .slice(0, 5)
          .join('; ');
      out.problems.push(`trash ${to} not fully deleted: ${why}`);
      await journal.fail(p.step, new Error(why));
    }
  }
  return out;
}

export interface ResumedTarget {
  target: string;
  status: 'done' | 'refused' | 'failed';
  reason?: string;
  outcome?: ResumeOutcome;
}

/**
 * At agent start: finish every interrupted Cleaner delete in the journal dir, each under its
 * target's lock and only where the policy still allows the target.
 */
export async function resumeUnfinished(opts: ApplyCleanOptions): Promise<ResumedTarget[]> {
  const policy = await canonicalPolicy(opts.policy);
  const homes = opts.homes ?? (await readHomeDirs());
  const out: ResumedTarget[] = [];
  for (const u of await listUnfinished(opts.journalDir)) {
    if (!u.pending.some((p) => p.step.startsWith('trash:'))) continue;
    const v = checkPolicy(u.target, policy, homes);
    if (!v.ok) {
      out.push({ target: u.target, status: 'refused', reason: v.reason });
      continue;
    }
    const lock = await acquireTargetLock(u.target);
    if (!lock) {
      out.push({ target: u.target, status: 'refused', reason: 'locked' });
      continue;
    }
    try {
      const journal = await openJournal(opts.journalDir, u.target);
      const outcome = await resumePending(journal, u.target, policy, homes, opts);
      await journal.finish();
      out.push({
        target: u.target,
        status: outcome.problems.length > 0 ? 'failed' : 'done',
        reason: outcome.problems.join('; ') || undefined,
        outcome,
      });
    } finally {
      await lock.release();
    }
  }
  return out;
}
