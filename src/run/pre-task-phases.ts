// The phases before the build: recover leftovers, pre-task (checkpoint, learned plan), tuning into
// the build's environment, kernel settings and the apt cache.
import { existsSync, mkdirSync } from 'node:fs';
import { BusError } from '../schemas/bus-error.js';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { waitForLostRuns } from './leftovers.js';
import { learnedPlan, jobsRecommendation } from './learned-plan.js';
import { checkpoint, existingAncestor, type RunState } from './run-state.js';
import { refuseKeepOverMemoryMounts } from './keep-memory-mounts.js';

/** Leftovers of interrupted runs under these chroots are torn down first (after the swarm finished any lost run there). */
export async function recoverPhase(s: RunState, targets: string[]): Promise<void> {
  const recovered: unknown[] = [];
  for (const target of targets) {
    await waitForLostRuns(s.opts.stateRoot, target, 120_000);
    if (!existsSync(target)) {
      s.notes.push(`${target}: its interrupted run was finished by the swarm meanwhile`);
      continue;
    }
    const td = await s.soft(`recover ${target}`, () => s.route('teardown', { target }));
    recovered.push({
      target,
      status: td?.result?.status ?? 'failed',
      unmounted: td?.result?.unmounted ?? [],
      signalled: td?.result?.signalled.length ?? 0,
    });
    if (td?.result)
      s.notes.push(
        `recovered ${target} (left by an interrupted run): ${td.result.status}, ${td.result.unmounted.length} mount(s) unmounted, ${td.result.signalled.length} process(es) signalled`,
      );
    if (td?.result?.status !== 'done' && target === s.opts.chroot)
      throw new Error(`the leftovers under ${target} could not be torn down: ${td?.result?.reason ?? 'no result'}`);
  }
  s.record.recovered = recovered;
}

export async function preTask(s: RunState): Promise<void> {
  const { call, soft, opts, notes } = s;
  s.record.checkpoint = await checkpoint(opts.chroot);
  const keepWhy = opts.keep?.reason ?? (opts.keepOnFailure ? '--keep-on-failure' : null);
  refuseKeepOverMemoryMounts(s.record.checkpoint, opts.chroot, keepWhy);
  const ev = buildHookEvent(
    'pre-task',
    { taskId: s.runId, description: `${opts.name}: ${opts.command.join(' ')}` },
    '',
  );
  await soft('pre-task hook', () => call('hook', { event: ev }));
  const before = s.record.checkpoint.mountsUnderChroot;
  // Said before the build: the teardown will unmount these like the build's own.
  if (before.length)
    opts.say(
      `${before.length} mount(s) already under ${opts.chroot}: ${before.join(', ')} (the teardown after the build unmounts them too; the run's notes name them)`,
    );
  for (const line of await learnedPlan(call, opts.name, opts.chroot)) {
    notes.push(line);
    opts.say(line);
  }
  // Kernel settings an interrupted run left changed are restored before anything else.
  const pending = await soft('system status', () => s.route('system', { action: 'status' }));
  if (pending && 'checkpoint' in pending && pending.checkpoint) {
    const rb = await soft('system rollback', () => s.route('system', { action: 'rollback' }));
    notes.push(
      `restored kernel settings an interrupted run had changed: ${(rb && 'rollback' in rb && rb.rollback.restored.join(', ')) || 'none differed'}`,
    );
  }
}

export async function tunePhase(s: RunState): Promise<void> {
  const target = s.opts.chroot && existsSync(s.opts.chroot) ? s.opts.chroot : null;
  const t = await s.soft('tuning', () => s.route('tune', { target, mode: 'auto' }));
  if (t) {
    s.record.tuning = { applied: t.env, choice: t.choice, predicted: t.predicted ?? null };
    Object.assign(s.env, t.env);
  }
}

/** A memory alert during or since the last run of this name lowers this run's job count. */
export async function lowerJobsAfterMemoryAlert(s: RunState): Promise<void> {
  const rec = await jobsRecommendation(s.call, s.opts.name);
  const current = Number(s.env.PARALLEL_JOBS ?? 0);
  if (!rec || (current > 0 && current <= rec.parallelJobs)) return;
  s.env.PARALLEL_JOBS = String(rec.parallelJobs);
  s.env.MAKEFLAGS = `-j${rec.parallelJobs}`;
  const line = `PARALLEL_JOBS=${rec.parallelJobs} (was ${current || 'unset'}): ${rec.why} at ${rec.at}`;
  s.notes.push(line);
  s.opts.say(line);
  await s.soft('decision record', () =>
    s.call('memory-record', {
      events: [
        {
          kind: 'decision',
          key: 'optimization/resource-management',
          by: 'run',
          decision: `ran ${s.opts.name} with ${line}`,
          default: current ? `PARALLEL_JOBS=${current}` : 'no PARALLEL_JOBS',
          evidence: rec,
        },
      ],
    }),
  );
}

export async function optimizeSystemPhase(s: RunState): Promise<void> {
  const r = await s.soft('optimize-system', () =>
    s.route('system', { action: 'apply', buildDir: existingAncestor(s.opts.chroot ?? '/') }),
  );
  if (r && 'optimize' in r) {
    s.systemApplied = true;
    s.record.system = r.optimize;
  }
}

/** What the tuner answers when it did not attach (it said so: nothing is mounted for this build). */
const NOT_ATTACHED = new Set(['locked', 'refused', 'bad-request']);

/**
 * False when the tuner refused the attach: the build runs without the cache, and nothing is detached
 * after it. An attach with no answer (a timeout) may have mounted: the detach after the build asks.
 */
export async function attachAptCache(s: RunState, chroot: string): Promise<boolean> {
  mkdirSync(chroot, { recursive: true });
  try {
    const a = await s.route('cache-attach', { chroot, runId: s.runId });
    s.notes.push(`apt archive cache ${a.cacheDir} mounted into the chroot as a read-only overlay layer for the build`);
    return true;
  } catch (e) {
    const refused = e instanceof BusError && NOT_ATTACHED.has(e.code);
    s.notes.push(
      refused
        ? `apt cache not attached, refused (${e.code}): ${e.message}; the build ran without it`
        : `apt cache: ${(e as Error).message}`,
    );
    return !refused;
  }
}
