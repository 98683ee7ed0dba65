// `run --tmpfs-workdir`: the chroot on a tmpfs of the run's own, sized from what this build's chroot
// measured at its last run (+25 %, the tuner's rule) or from --tmpfs-size, refused unless
// MemAvailable holds twice the tree. The Unmounter's teardown of the chroot takes it down last
// (children first, the chroot's own mount point at the end), in the CLI's post-task or the
// coordinator's for a lost run; the Cleaner then removes the empty directory by policy.
import { readMemory } from '../host/proc/probes.js';
import { findOwnTmpfs, mountTmpfs, tmpfsSource, usedBytes, workdirState } from '../host/mounts/tmpfs-workdir.js';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { describePathProblem, pathProblem } from '../host/fs/no-follow-path.js';
import { tmpfsAdvice, tmpfsSizeFor } from '../learning/tmpfs-rule.js';
import { pathKey } from '../memory/keys.js';
import { formatBytes } from '../text/units.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import type { CoordinatorCall } from './teardown-then-clean.js';
import { writeRegistration } from './build-phase.js';
import { createRunDir, markDone } from './registry.js';
import type { RunState } from './run-state.js';

/** A run refused before anything changed (the CLI exits 2, or 3 when a safety check refused it). */
export class RunRefusal extends Error {
  constructor(
    message: string,
    readonly kind: 'usage' | 'refused' = 'usage',
  ) {
    super(message);
  }
}

export type TmpfsBasis = {
  /** measured: the chroot's size at an earlier run; --tmpfs-size: the user's size. */
  kind: 'measured' | '--tmpfs-size';
  bytes: number;
  from: string;
};

export type TmpfsPlanRecord = NonNullable<RunRecordInput['tmpfs']>;

type Entry = Record<string, unknown> & { at: string };

async function value(call: CoordinatorCall, key: string): Promise<unknown> {
  try {
    return (await call<{ value: unknown }>('memory-get', { key })).value;
  } catch {
    return undefined;
  }
}

/** The size of this build's chroot at its last measured run: the run history first, else the target's last clean. */
export async function measuredBasis(call: CoordinatorCall, name: string, chroot: string): Promise<TmpfsBasis | null> {
  const perf = (await value(call, 'optimization/performance-improvements')) as { entries?: Entry[] } | undefined;
  const last = (perf?.entries ?? []).filter((e) => e.name === name && Number(e.chrootBytes) > 0).pop();
  if (last)
    return {
      kind: 'measured',
      bytes: Number(last.chrootBytes),
      from: `the chroot of run ${String(last.runId)} (${last.at}) in optimization/performance-improvements`,
    };
  const clean = (await value(call, `optimization/cleanup-success/${pathKey(chroot)}`)) as
    { recent?: { at: string; status: string; bytesFreed: number }[] } | undefined;
  const done = (clean?.recent ?? []).filter((r) => r.status === 'done' && r.bytesFreed > 0).pop();
  if (done)
    return {
      kind: 'measured',
      bytes: done.bytesFreed,
      from: `the clean of ${chroot} at ${done.at} in optimization/cleanup-success`,
    };
  return null;
}

/** The plan, or a RunRefusal saying why not; nothing is changed here. */
export async function planTmpfs(
  call: CoordinatorCall,
  p: { runId: string; name: string; chroot: string; sizeBytes: number | null },
): Promise<TmpfsPlanRecord> {
  // Nothing is created on a path with a symlink on it (the dirs would be made where it points).
  const problem = pathProblem(p.chroot);
  if (problem)
    throw new RunRefusal(`--tmpfs-workdir: ${describePathProblem(p.chroot, problem)}; nothing was created or mounted`);
  const state = await workdirState(p.chroot);
  if (state !== 'absent' && state !== 'empty')
    throw new RunRefusal(`--tmpfs-workdir: ${p.chroot} is ${state}; a tmpfs goes only on an absent or empty directory`);
  const measured = await measuredBasis(call, p.name, p.chroot);
  const basis: TmpfsBasis | null =
    p.sizeBytes !== null ? { kind: '--tmpfs-size', bytes: p.sizeBytes, from: 'given on the command line' } : measured;
  if (!basis)
    throw new RunRefusal(
      `--tmpfs-workdir: no measured size of ${p.name}'s chroot yet (no earlier run recorded it): give --tmpfs-size SIZE`,
    );
  const mem = readMemory().availableBytes;
  const advice = tmpfsAdvice(mem, basis.bytes);
  const sizeBytes = basis.kind === 'measured' ? tmpfsSizeFor(basis.bytes) : basis.bytes;
  const plan: TmpfsPlanRecord = {
    path: p.chroot,
    source: tmpfsSource(p.runId),
    sizeBytes,
    basis,
    measuredBasis: measured,
    memAvailableBytes: mem,
    needBytes: advice.needBytes,
    reason: advice.reason,
    mountId: null,
    usedBytes: null,
    unmounted: null,
  };
  if (!advice.recommended)
    throw new RunRefusal(
      `--tmpfs-workdir: MemAvailable ${formatBytes(mem)} does not hold twice the tree (${formatBytes(basis.bytes)} from ${basis.from}): ${advice.reason}; nothing was mounted`,
    );
  return plan;
}

export function describePlan(t: TmpfsPlanRecord): string {
  const b = t.basis as TmpfsBasis;
  return `tmpfs work dir: ${formatBytes(t.sizeBytes)} at ${t.path} (basis ${formatBytes(b.bytes)}: ${b.from}${
    b.kind === 'measured' ? ', +25 %' : ''
  }; ${t.reason})`;
}

/**
 * Registers the run, then mounts the planned tmpfs and registers it again with the mount's id: a CLI
 * killed at any point from here on leaves a registered run whose teardown the swarm does.
 */
export async function mountPhase(s: RunState, t: TmpfsPlanRecord): Promise<void> {
  const dir = (s.dir ??= createRunDir(s.opts.stateRoot, s.runId));
  writeRegistration(s, dir);
  try {
    t.mountId = await mountTmpfs(t.path, t.sizeBytes, t.source);
  } catch (e) {
    // Nothing was mounted: the run ends here and no one is to finish it.
    markDone(dir, { at: new Date().toISOString(), recordFile: null, report: null, exitCode: null, runnerLost: false });
    throw e;
  }
  writeRegistration(s, dir);
}

/** Before the teardown: what the tree took on the tmpfs (only when our tmpfs is the one on top there). */
export async function measureBeforeTeardown(t: TmpfsPlanRecord): Promise<void> {
  const all = await readMountinfo();
  const ours = findOwnTmpfs(all, t.path, t.source);
  const top = all.filter((m) => m.mountPoint === t.path).pop();
  if (ours && top?.id === ours.id) t.usedBytes = usedBytes(t.path);
}

/** After the teardown: whether our tmpfs is gone. */
export async function checkAfterTeardown(t: TmpfsPlanRecord): Promise<string> {
  const still = findOwnTmpfs(await readMountinfo(), t.path, t.source);
  const used = t.usedBytes === null ? '' : ` (the tree took ${formatBytes(t.usedBytes)} of it)`;
  if (still) {
    t.unmounted = false;
    return `the tmpfs at ${t.path} is still mounted: the teardown did not finish${used}`;
  }
  if (t.mountId === null && t.usedBytes === null) return `no tmpfs was mounted at ${t.path} (the run ended before)`;
  t.unmounted = true;
  return `the tmpfs at ${t.path} was unmounted last${used}`;
}
