// Over 250 lines on purpose: the Cleaner's apply re-judges, journals and acts per target kind in one sequence that reads best whole.
// Carry out a clean plan: per target re-resolve and re-judge the path (the plan is never trusted),
// take the target's lock, finish what an interrupted run left, re-verify that nothing is mounted,
// then journal each step before it runs: a tree is renamed aside, then deleted.
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removePlannedFiles, type RemoveResult } from '../../src/host/cache/cache-evict.js';
import { deleteAside } from '../../src/host/delete/aside.js';
import { openJournal, type Journal } from '../../src/host/guard/journal.js';
import { lazyDetachBlocks, type LazyCleared } from '../../src/host/mounts/lazy-marker.js';
import { silentLog } from '../../src/host/log-like.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import {
  canonicalPolicy,
  checkPolicy,
  readHomeDirs,
  resolveAndCheck,
  type PathPolicy,
} from '../../src/host/guard/path-policy.js';
import { deleteTree, trashPathFor, trashStepId, type DeleteResult } from '../../src/host/delete/safe-delete.js';
import { removeStaleLock } from '../../src/host/walk/stale-locks.js';
import { acquireTargetLock, lockedReason } from '../../src/host/guard/target-lock.js';
import { buildInTree } from '../../src/host/guard/build-lock.js';
import { blockingMounts, invalidInput, mountReport } from './plan.js';
import { resumePending } from './resume.js';
import { overlayLayerUse } from '../../src/host/mounts/overlay-layers.js';
import type {
  ApplyCleanOptions,
  CleanPlan,
  CleanRefusalCode,
  CleanResult,
  CleanTargetPlan,
  CleanTargetResult,
} from './types.js';

type Ctx = ApplyCleanOptions & { policy: PathPolicy; homes: string[] };

/** A tree already gone: its would-be real path (real parent + name), judged by the policy. */
async function resolveMissing(
  input: string,
  ctx: Ctx,
): Promise<{ path: string } | { code: CleanRefusalCode; reason: string }> {
  const name = basename(input);
  if (!input.startsWith('/') || input !== input.trim() || name === '' || name === '.' || name === '..')
    return { code: 'not-absolute', reason: `${JSON.stringify(input)} cannot be judged without resolving it` };
  let parent: string;
  try {
    parent = await realpath(dirname(input));
  } catch (e) {
    return {
      code: 'not-found',
      reason: `cannot resolve the parent of ${input}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    };
  }
  const path = parent === '/' ? `/${name}` : `${parent}/${name}`;
  if (
    await lstat(path).then(
      () => true,
      () => false,
    )
  )
    return { code: 'changed', reason: `${path} appeared since it was planned: plan again` };
  const v = checkPolicy(path, ctx.policy, ctx.homes);
  return v.ok ? { path } : { code: v.code, reason: v.reason };
}

function summarize(r: {
  skipped: { path: string; reason: string }[];
  errors: { path: string; code: string }[];
}): string {
  return [
    ...r.skipped.map((s) => `kept ${JSON.stringify(s.path)}: ${s.reason}`),
    ...r.errors.map((e) => `${JSON.stringify(e.path)}: ${e.code}`),
  ]
    .slice(0, 8)
    .join('; ');
}

/** Moved aside (or deleted in place) and deleted through one parent fd, as long as it is still `fileId`. */
async function cleanTree(
  path: string,
  fileId: string,
  journal: Journal,
  res: CleanTargetResult,
  ctx: Ctx,
  expectedEntries?: number,
): Promise<void> {
  const log = ctx.log ?? silentLog;
  const onProgress = (files: number, bytes: number): void => ctx.onProgress?.({ path, files, bytes });
  const changed = (why: string): void => {
    Object.assign(res, { status: 'refused', code: 'changed', reason: `${why}; nothing deleted` });
    log.warn({ target: path, reason: why }, 'target changed since it was planned');
  };
  const c = ctx.threads?.get(path);
  const chosen = c ? { workers: c.threads, eagerWorkers: c.eager } : {};
  if (c) res.threadsPlanned = { threads: c.threads, eager: c.eager };
  let deletePath = path;
  let step: object;
  let d: DeleteResult;
  if (checkPolicy(trashPathFor(path), ctx.policy, ctx.homes).ok) {
    const r = await deleteAside(path, journal, {
      fileId,
      onProgress,
      log,
      expectedEntries,
      ...chosen,
      onMoved: (trash) => log.info({ target: path, trash }, 'moved aside'),
    });
    if (r.changed !== undefined) return changed(r.changed);
    if (!r.moved.ok || !r.moved.trashPath || !r.deleted) {
      res.status = 'failed';
      res.reason = `could not move ${path} aside: ${r.moved.reason}`;
      return;
    }
    deletePath = r.moved.trashPath;
    step = { id: trashStepId(r.moved.trashPath) };
    d = r.deleted;
  } else {
    // The target sits right below a safe prefix whose siblings are out of bounds: delete in place.
    step = { id: `delete-in-place:${path}`, step: 'delete-in-place', path };
    await journal.begin(step);
    d = await deleteTree(path, { onProgress, expectFileId: fileId, ...chosen });
    if (d.changed) {
      await journal.done(step, { outcome: 'refused: changed' });
      return changed(d.refused ?? 'changed');
    }
  }
  res.deleted = { files: d.deletedFiles, dirs: d.deletedDirs, bytes: d.bytes };
  res.threads = d.workers ?? 0;
  res.skipped = d.skipped;
  res.errors = d.errors.map((e) => ({ path: e.path, code: e.code, message: e.message }));
  if (d.complete) {
    await journal.done(step, { files: d.deletedFiles, dirs: d.deletedDirs, bytes: d.bytes });
    res.status = 'done';
    log.info({ target: path, ...res.deleted }, 'tree deleted');
  } else {
    const why = d.refused ?? summarize(d);
    await journal.fail(step, new Error(why));
    res.status = 'failed';
    res.reason = `${deletePath} not fully deleted (the next run retries): ${why}`;
    log.warn({ target: path, trash: deletePath, reason: why }, 'tree not fully deleted');
  }
}

function takeRemoval(res: CleanTargetResult, r: RemoveResult): void {
  res.deleted = { files: r.removed, dirs: 0, bytes: r.bytes };
  res.skipped = r.skipped;
  res.errors = r.errors;
  res.status = r.errors.length > 0 ? 'failed' : 'done';
  if (r.errors.length > 0) res.reason = summarize(r);
}

async function runAction(
  t: CleanTargetPlan,
  path: string,
  journal: Journal,
  res: CleanTargetResult,
  ctx: Ctx,
): Promise<void> {
  const a = t.action;
  const onProgress = (files: number, bytes: number): void => ctx.onProgress?.({ path, files, bytes });
  if (!a || a.type === 'none') {
    res.status = 'done';
    res.reason = a?.why ?? 'nothing planned';
  } else if (a.type === 'delete-tree') {
    if (!t.target) throw new Error(`no planned directory for ${path}`);
    // The plan's count picks the delete's method (a few thousand entries are not worth two finds).
    const planned = a.size.truncated ? undefined : a.size.files + a.size.dirs;
    await cleanTree(path, t.target.fileId, journal, res, ctx, planned);
  } else if (a.type === 'evict' || a.type === 'remove-temp') {
    const step = {
      id: `${a.type}:${path}`,
      step: a.type,
      files: a.type === 'evict' ? a.plan.evict.length : a.plan.files.length,
    };
    await journal.begin(step);
    const r =
      a.type === 'evict'
        ? await removePlannedFiles(path, a.plan.evict, { unchangedUse: true, onProgress })
        : await removePlannedFiles(path, a.plan.files, {
            notModifiedSinceMs: Date.now() - a.plan.maxAgeSec * 1000,
            onProgress,
          });
    takeRemoval(res, r);
    await journal.done(step, {
      removed: r.removed,
      bytes: r.bytes,
      skipped: r.skipped.length,
      errors: r.errors.length,
    });
  } else {
    const step = { id: `remove-locks:${path}`, step: 'remove-locks', locks: a.locks.map((l) => l.path) };
    await journal.begin(step);
    for (const l of a.locks) {
      const r = await removeStaleLock(path, l);
      if (r.removed) res.deleted.files++;
      else res.skipped.push({ path: l.path, reason: r.reason });
    }
    res.status = 'done';
    await journal.done(step, { removed: res.deleted.files, skipped: res.skipped.length });
  }
}

async function applyTarget(t: CleanTargetPlan, ctx: Ctx): Promise<CleanTargetResult> {
  const res: CleanTargetResult = {
    path: t.target?.path ?? t.input.path,
    kind: t.input.kind,
    status: 'refused',
    deleted: { files: 0, dirs: 0, bytes: 0 },
    skipped: [],
  };
  const refuse = (code: CleanRefusalCode, reason: string): CleanTargetResult =>
    Object.assign(res, { status: 'refused' as const, code, reason });
  if (t.refused) return refuse(t.refused.code, t.refused.reason);
  const bad = invalidInput(t.input);
  if (bad) return refuse('invalid', bad);

  // Judge the input again from scratch and insist it is still the directory that was planned.
  let path: string;
  let missing = false;
  const r = await resolveAndCheck(t.input.path, ctx.policy, ctx.homes);
  if (r.ok) {
    if (!t.target || r.path !== t.target.path || r.fileId !== t.target.fileId)
      return refuse(
        'changed',
        `${t.input.path} is not what was planned (${t.target?.path ?? 'nothing'} -> ${r.path}): plan again`,
      );
    path = r.path;
  } else if (r.code === 'not-found' && t.input.kind === 'tree' && !t.target) {
    const m = await resolveMissing(t.input.path, ctx);
    if (!('path' in m)) return refuse(m.code, m.reason);
    path = m.path;
    missing = true;
  } else {
    return refuse(r.code, r.reason);
  }
  res.path = path;

  const lock = await acquireTargetLock(path);
  if (!lock) return refuse('locked', await lockedReason(path));
  try {
    // A build using the tree holds its build lock (taken under this target lock): nothing is deleted.
    const using = await buildInTree(path, ctx.forRun);
    if (using) return refuse('locked', using);
    // Never delete after a lazy detach, even in a later run, while the detached mounts are in use.
    const cleared = (c: LazyCleared): void =>
      (ctx.log ?? silentLog).info(
        { target: path, lazyTarget: c.target, notInspected: c.unreadable.map((u) => u.pid) },
        'lazily detached mounts no longer in use: marker cleared',
      );
    const lazy = await lazyDetachBlocks(
      ctx.lazyMarkerDir ?? join(dirname(ctx.journalDir), 'unmounter'),
      path,
      cleared,
    ).catch((e: Error) => [{ reason: `cannot check for lazy detaches: ${e.message}` }]);
    if (lazy.length > 0) return refuse('lazy-detached', lazy.map((b) => b.reason).join('\n'));
    const journal = await openJournal(ctx.journalDir, path);
    try {
      const resumed = await resumePending(journal, path, ctx.policy, ctx.homes, {
        log: ctx.log,
        onProgress: ctx.onProgress,
      });
      if (resumed.trash.length > 0 || resumed.problems.length > 0)
        res.resumed = { trash: resumed.trash, deleted: resumed.deleted };
      if (missing) {
        res.status = 'done';
        res.reason = `${path} is already gone`;
      } else {
        const now = await readMountinfo();
        const blocking = blockingMounts(now, path, t.input.kind);
        const layer = overlayLayerUse(now, path);
        if (layer) refuse('mounted', `${layer}; nothing deleted`);
        else if (blocking.length > 0) {
          res.mounts = blocking.map(mountReport);
          refuse(
            'mounted',
            `mounted under ${path}: ${blocking.map((m) => `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source})`).join(', ')}; nothing deleted`,
          );
        } else {
          await runAction(t, path, journal, res, ctx);
        }
      }
      if (resumed.problems.length > 0 && res.status === 'done') {
        res.status = 'failed';
        res.reason = resumed.problems.join('; ');
      }
      await journal.finish();
    } catch (e) {
      await journal.close();
      res.status = 'failed';
      res.reason = `${String(e)} (the journal keeps the unfinished step for the next run)`;
    }
  } finally {
    await lock.release();
  }
  return res;
}

export async function applyClean(plan: CleanPlan, opts: ApplyCleanOptions): Promise<CleanResult> {
  const started = performance.now();
  const ctx: Ctx = { ...opts, policy: await canonicalPolicy(opts.policy), homes: opts.homes ?? (await readHomeDirs()) };
  const targets: CleanTargetResult[] = [];
  for (const t of plan.targets) {
    const t0 = performance.now();
    const r = await applyTarget(t, ctx);
    r.durationMs = Math.round(performance.now() - t0);
    targets.push(r);
  }
  const status = targets.some((t) => t.status === 'failed')
    ? 'failed'
    : targets.some((t) => t.status === 'refused')
      ? 'refused'
      : 'done';
  return { status, targets, durationMs: Math.round(performance.now() - started) };
}
