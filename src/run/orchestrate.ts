// isoswarm run: pre-task (checkpoint, tuning into the build's environment), the build (streamed,
// signals forwarded, watched by the Monitor), and on any exit post-task: teardown and clean of the
// chroot by policy, lessons recorded, the run record written for `isoswarm report`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { isAtOrUnder, readMountinfo } from '../host/mountinfo.js';
import type { Config } from '../schemas/config.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { pathKey } from '../memory/keys.js';
import { runBuild, type BuildExit } from './build-process.js';
import { shimEnv } from './shim-env.js';
import { Phases } from './phases.js';

export interface RunOptions {
  command: string[];
  chroot: string | null;
  isolate: boolean;
  keepOnFailure: boolean;
  name: string;
  tune: boolean;
  /** Bind the apt archive cache into the chroot for the build and count its hits. */
  aptCache: boolean;
  /** Tune the host's kernel settings for the build (checkpointed; restored after it). */
  optimizeSystem: boolean;
  /** What the mksquashfs shim does with options the build passes itself (default fill). */
  squashfs?: 'respect' | 'fill' | 'override';
  json: boolean;
  say: (m: string) => void;
}

type Call = <T>(endpoint: string, payload: unknown, timeoutMs?: number) => Promise<T>;

export interface RunOutcome {
  record: RunRecordInput;
  exit: BuildExit | null;
}

/** The build disk is the one the chroot will be on: its nearest existing ancestor tells. */
function existingAncestor(p: string): string {
  let d = p;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export function newRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60) || 'run'}-${stamp}-${randomBytes(2).toString('hex')}`;
}

async function checkpoint(chroot: string | null): Promise<Record<string, unknown>> {
  const mounts = await readMountinfo();
  const under = chroot ? mounts.filter((m) => isAtOrUnder(m.mountPoint, chroot)).map((m) => m.mountPoint) : [];
  let freeBytes: number | null = null;
  try {
    const s = statfsSync(chroot && existsSync(chroot) ? chroot : '/');
    freeBytes = s.bavail * s.bsize;
  } catch {
    /* reported as unknown */
  }
  return { mountsTotal: mounts.length, mountsUnderChroot: under, freeBytes };
}

export async function orchestrateRun(config: Config, nc: NatsConnection, opts: RunOptions): Promise<RunOutcome> {
  const { requestEndpoint } = await import('../bus/request.js');
  const call: Call = (ep, payload, timeoutMs = config.nats.requestTimeoutMs) =>
    requestEndpoint(nc, config.nats.subjectPrefix, 'coordinator', ep, payload, timeoutMs);
  const runId = newRunId(opts.name);
  const phases = new Phases();
  const notes: string[] = [];
  const patterns = new Set<string>();
  const record: RunRecordInput = {
    runId, name: opts.name, command: opts.command, chroot: opts.chroot, isolate: opts.isolate, host: hostname(),
    startedAt: new Date().toISOString(), endedAt: null, exitCode: null, signal: null, phases: phases.list,
    tuning: null, samples: [], events: [], teardown: null, clean: null, patternsUpdated: [], notes,
  };
  const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      notes.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };

  await phases.run('pre-task', async () => {
    const ev = buildHookEvent('pre-task', { taskId: runId, description: `${opts.name}: ${opts.command.join(' ')}` }, '');
    await soft('pre-task hook', () => call('hook', { event: ev }));
    (record as Record<string, unknown>).checkpoint = await checkpoint(opts.chroot);
    // Kernel settings an interrupted run left changed are restored before anything else.
    const pending = await soft('system status', () => call<{ checkpoint: unknown }>('system', { action: 'status' }));
    if (pending?.checkpoint) {
      const rb = await soft('system rollback', () => call<{ rollback: { restored: string[] } }>('system', { action: 'rollback' }));
      notes.push(`restored kernel settings an interrupted run had changed: ${rb?.rollback.restored.join(', ') || 'none differed'}`);
    }
  }, opts.say);

  const env: NodeJS.ProcessEnv = { ...process.env, ISOSWARM_RUN_ID: runId };
  if (opts.tune && config.optimizationEnabled) {
    await phases.run('tune', async () => {
      const target = opts.chroot && existsSync(opts.chroot) ? opts.chroot : null;
      const t = await soft('tuning', () => call<{ env: Record<string, string>; choice: unknown; predicted?: { timeMs: number; sizeBytes: number } | null }>('tune', { target, mode: 'auto' }, 30 * 60_000));
      if (t) {
        record.tuning = { applied: t.env, choice: t.choice, predicted: t.predicted ?? null };
        Object.assign(env, t.env);
      }
    }, opts.say);
  }
  if (typeof config.parallelJobs === 'number') {
    // The user's PARALLEL_JOBS (environment or config) wins over the recommendation; make follows it.
    env.PARALLEL_JOBS = String(config.parallelJobs);
    env.MAKEFLAGS = `-j${config.parallelJobs}`;
  }
  if (opts.tune && config.optimizationEnabled) {
    // Tuning at the moment of use: the build finds the mksquashfs shim first on its PATH.
    Object.assign(env, shimEnv(env, opts.squashfs ?? 'fill'));
    notes.push(`mksquashfs calls go through the shim in ${env.ISOSWARM_SHIM_DIR} (policy ${env.ISOSWARM_SQUASHFS})`);
  }
  // After tuning: the tuner measures the chroot as the build found it, not the cache bound into it.
  let systemApplied = false;
  if (opts.optimizeSystem) {
    await phases.run('optimize-system', async () => {
      const r = await soft('optimize-system', () => call<{ optimize: { applied: string[]; failed: { name: string; error: string }[] } }>('system', { action: 'apply', buildDir: existingAncestor(opts.chroot ?? '/') }));
      if (r) {
        systemApplied = true;
        (record as Record<string, unknown>).system = r.optimize;
      }
    }, opts.say);
  }
  if (opts.aptCache && opts.chroot) {
    mkdirSync(opts.chroot, { recursive: true });
    const a = await soft('apt cache', () => call<{ cacheDir: string }>('cache-attach', { chroot: opts.chroot }));
    if (a) notes.push(`apt archive cache ${a.cacheDir} mounted into the chroot as a read-only overlay layer for the build`);
  }


  let exit: BuildExit | null = null;
  try {
    await phases.run('build', async () => {
      exit = await runBuild({
        command: opts.command,
        env,
        isolate: opts.isolate,
        stdoutToStderr: opts.json,
        onStart: (pid) => void soft('monitor watch', () => call('monitor-watch', { runId, pid })),
      });
      if (exit.exitCode !== 0) phases.mark(exit.signal ? `killed by ${exit.signal}` : `exit ${exit.exitCode}`);
    }, opts.say);
  } catch (e) {
    notes.push((e as Error).message);
  }
  const build = exit as BuildExit | null;
  record.exitCode = build?.exitCode ?? 127;
  record.signal = build?.signal ?? null;

  await phases.run('post-task', async () => {
    const samples = await soft('monitor samples', () => call<{ samples: unknown[]; events: unknown[] }>('monitor-samples', { runId, stop: true }));
    if (samples) {
      record.samples = samples.samples as RunRecordInput['samples'];
      record.events = samples.events as RunRecordInput['events'];
    }
    const failed = record.exitCode !== 0;
    const sq = await soft('mksquashfs calls', () => call<{ calls: unknown[] }>('squashfs-calls', { runId }));
    if (sq?.calls.length) (record as Record<string, unknown>).squashfsCalls = sq.calls;
    if (opts.aptCache && opts.chroot) {
      const d = await soft('apt cache detach', () => call<{ stats: Record<string, unknown> }>('cache-detach', { chroot: opts.chroot }));
      if (d) {
        (record as Record<string, unknown>).cache = d.stats;
        patterns.add('optimization/caching-effectiveness/apt-archives');
      }
    }
    if (systemApplied) {
      const rb = await soft('system rollback', () => call<{ rollback: { restored: string[]; mismatched: unknown[] } }>('system', { action: 'rollback' }));
      if (rb) (record as Record<string, unknown>).systemRollback = rb.rollback;
    }
    if (opts.chroot && !existsSync(opts.chroot)) notes.push(`${opts.chroot} does not exist (the build never created it): nothing to take apart`);
    else if (opts.chroot) {
      // Processes and mounts go whatever happened: a kept chroot is kept unmounted.
      const td = await soft('teardown', () => call<{ result: NonNullable<RunRecordInput['teardown']> | null }>('teardown', { target: opts.chroot }, 30 * 60_000));
      record.teardown = td?.result ?? null;
      for (const a of (td?.result?.attempts ?? []) as { fsType: string }[]) patterns.add(`optimization/unmount-strategies/${a.fsType}`);
      if (td?.result) patterns.add('optimization/cleanup-procedures');
      if (td?.result && td.result.status !== 'done') patterns.add('optimization/error-prevention');
      if (failed && opts.keepOnFailure) notes.push(`--keep-on-failure: ${opts.chroot} is kept for inspection (unmounted)`);
      else if (td?.result?.status === 'done') {
        const cl = await soft('clean', () => call<{ result: NonNullable<RunRecordInput['clean']> | null }>('clean', { targets: [{ path: opts.chroot, kind: 'tree' }] }, 6 * 3600_000));
        record.clean = cl?.result ?? null;
        if (cl?.result) patterns.add(`optimization/cleanup-success/${pathKey(opts.chroot)}`);
      } else notes.push(`${opts.chroot} was not deleted: the teardown did not finish (${td?.result?.reason ?? 'no result'})`);
    }
    const ev = buildHookEvent('post-task', { taskId: runId }, '');
    await soft('post-task hook', () => call('hook', { event: ev }));
    record.endedAt = new Date().toISOString();
    const durationMs = Date.parse(record.endedAt) - Date.parse(record.startedAt);
    const buildPhase = phases.list.find((p) => p.name === 'build');
    await soft('performance record', () =>
      call('memory-record', {
        events: [{
          kind: 'summary', name: 'performance-improvements',
          entry: { runId, name: opts.name, exitCode: record.exitCode, durationMs, buildMs: buildPhase?.endedAt ? Date.parse(buildPhase.endedAt) - Date.parse(buildPhase.startedAt) : null, tuning: record.tuning?.applied ?? null },
          counts: { runs: 1, [record.exitCode === 0 ? 'succeeded' : 'failed']: 1 },
        }],
      }),
    );
    patterns.add('optimization/performance-improvements');
  }, opts.say);
  record.patternsUpdated = [...patterns];
  return { record, exit: build };
}
