// Carry out a teardown plan: re-check the target, end the chroot's processes, unmount to a fixed
// point, detach the build's loop devices, verify. Each step is journalled before it runs.
import { silentLog } from '../../src/host/log-like.js';
import { detachLoop, isLoopMounted, loopsBackedUnder } from '../../src/host/mounts/loop-devices.js';
import { recordLazyDetach } from '../../src/host/mounts/lazy-marker.js';
import { mountsUnder, readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { canonicalPolicy, readHomeDirs, resolveAndCheck } from '../../src/host/guard/path-policy.js';
import { holdersInside, processesRootedIn } from '../../src/host/proc/proc-scan.js';
import { terminateRooted } from '../../src/host/proc/terminate.js';
import { unmountAllUnder } from '../../src/host/mounts/unmount.js';
import type { ApplyOptions, Holder, MountEntry, TeardownPlan, TeardownResult } from './types.js';
import { blankResult, markRefused } from './result.js';

function describeRemaining(remaining: readonly MountEntry[], result: TeardownResult): string {
  return remaining
    .map((m) => {
      const foreign = result.foreign.find((f) => f.mount.id === m.id);
      const holders = result.holders.filter((h: Holder) => h.uses.some((u) => isAtOrUnder(u.path, m.mountPoint)));
      const who = holders.map(
        (h) => `pid ${h.pid} (${h.cmdline || h.comm}: ${h.uses.map((u) => `${u.kind} ${u.path}`).join(', ')})`,
      );
      const why = foreign ? `foreign: ${foreign.reason}` : who.length ? `held by ${who.join('; ')}` : 'busy';
      return `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source}) ${why}`;
    })
    .join('\n');
}

export async function applyTeardown(plan: TeardownPlan, opts: ApplyOptions): Promise<TeardownResult> {
  const started = performance.now();
  const log = opts.log ?? silentLog;
  const result: TeardownResult = blankResult(null);
  const finish = (status: TeardownResult['status'], reason?: string): TeardownResult => {
    result.status = status;
    if (reason !== undefined) result.reason = reason;
    result.durationMs = Math.round(performance.now() - started);
    return result;
  };
  const refuseWith = (code: string, reason: string): TeardownResult =>
    finish('refused', markRefused(result, code, reason).reason);

  // Never trust the plan: resolve and judge the input again, and insist it is the same directory.
  if (plan.refused || !plan.target)
    return refuseWith(plan.refused?.code ?? 'refused', plan.refused?.reason ?? 'the plan has no target');
  const homes = opts.homes ?? (await readHomeDirs());
  const resolved = await resolveAndCheck(plan.input, await canonicalPolicy(opts.policy), homes);
  if (!resolved.ok) return refuseWith(resolved.code, resolved.reason);
  if (resolved.path !== plan.target.path || resolved.fileId !== plan.target.fileId) {
    return refuseWith('changed', `the target changed since it was planned (${plan.target.path} -> ${resolved.path})`);
  }
  const target = resolved.path;
  result.target = target;
  // A lazy detach that is not recorded could be followed by a delete in a later run: none then.
  const lazyDir = opts.lazyMarkerDir;
  const allowLazy = (opts.allowLazy ?? false) && lazyDir !== undefined;
  if (opts.allowLazy && !allowLazy) log.warn({ target }, 'lazy detach allowed but nowhere to record it: not used');

  const step = async <T>(kind: string, data: object, fn: () => Promise<T>, summary: (r: T) => object): Promise<T> => {
    await opts.journal?.begin({ step: kind, target, ...data });
    const r = await fn();
    await opts.journal?.done({ step: kind, target, ...data, ...summary(r) });
    return r;
  };

  try {
    // A daemon may respawn or a build step may still be starting processes: if the unmount left
    // something behind and the chroot has processes again, end them and try once more.
    for (let round = 1; round <= 3; round++) {
      const procs = await processesRootedIn(target);
      if (procs.length > 0) {
        const recs = await step(
          'terminate',
          { round, processes: procs.map((p) => ({ pid: p.pid, startTime: p.startTime, cmdline: p.cmdline })) },
          () => terminateRooted(procs, { target, graceMs: opts.graceMs ?? 5000, log }),
          (rs) => ({ outcomes: rs.map((r) => ({ pid: r.pid, outcome: r.outcome })) }),
        );
        result.signalled.push(...recs);
      } else if (round > 1) {
        break;
      }
      const u = await step(
        'unmount',
        { round, mounts: plan.mounts.map((m) => m.mountPoint), allowLazy },
        () =>
          unmountAllUnder(target, {
            strategyOrder: opts.strategyOrder,
            ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
            allowLazy,
            onAttempt: opts.onAttempt,
            log,
            beforeLazy: async (detaching) => {
              await recordLazyDetach(lazyDir as string, target, detaching);
              log.warn(
                { target, mounts: detaching.map((m) => ({ id: m.id, mountPoint: m.mountPoint })) },
                'lazy detach recorded: the tree must not be deleted while the detached mounts are in use',
              );
            },
          }),
        (r) => ({
          ok: r.ok,
          passes: r.passes,
          remaining: r.remaining.map((m) => m.mountPoint),
          privatized: r.privatized,
          usedLazy: r.usedLazy,
        }),
      );
      result.attempts.push(...u.attempts);
      result.unmounted.push(...u.attempts.filter((a) => a.ok).map((a) => a.mountPoint));
      result.foreign = u.foreign;
      result.usedLazy ||= u.usedLazy;
      if (u.ok || (await processesRootedIn(target)).length === 0) break;
    }

    const mounts = await readMountinfo();
    for (const loop of await loopsBackedUnder(target)) {
      if (isLoopMounted(loop, mounts)) {
        result.detachedLoops.push({
          device: loop.name,
          backingFile: loop.backingFile,
          ok: false,
          error: 'still mounted',
        });
        continue;
      }
      result.detachedLoops.push(
        await step(
          'detach-loop',
          { device: loop.name, backingFile: loop.backingFile },
          () => detachLoop(loop.name, target),
          (r) => ({ ok: r.ok, error: r.error }),
        ),
      );
    }

    const remaining = await step(
      'verify',
      {},
      async () => mountsUnder(await readMountinfo(), target),
      (r) => ({ remaining: r.map((m) => m.mountPoint) }),
    );
    result.remaining = remaining;
    result.holders = await holdersInside(target);
    if (remaining.length > 0)
      return finish('failed', `still mounted under ${target}:\n${describeRemaining(remaining, result)}`);
    const stuckLoops = result.detachedLoops.filter((l) => !l.ok);
    if (stuckLoops.length > 0) {
      return finish(
        'failed',
        `loop devices not detached: ${stuckLoops.map((l) => `${l.device} (${l.error ?? '?'})`).join(', ')}`,
      );
    }
    if (result.usedLazy)
      return finish(
        'failed',
        `a lazy detach was used (recorded in ${lazyDir}): nothing is mounted any more, but deletion must not follow while the detached mounts are in use`,
      );
    return finish('done');
  } catch (e) {
    log.warn({ target, error: String(e) }, 'teardown step failed');
    result.remaining = mountsUnder(await readMountinfo().catch(() => []), target);
    return finish('failed', `teardown stopped: ${(e as Error).message ?? String(e)}`);
  }
}
