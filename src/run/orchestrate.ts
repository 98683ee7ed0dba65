// isoswarm run: pre-task (checkpoint, tuning into the build's environment), the build (streamed,
// signals forwarded, watched by the Monitor), and on any exit post-task: teardown and clean of the
// chroot by policy, lessons recorded, the run record written for `isoswarm report`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { isAtOrUnder } from '../host/fs/paths.js';
import { coordinatorTimeoutMs } from '../schemas/agents/routes.js';
import type { Config } from '../schemas/config.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { pathKey } from '../memory/keys.js';
import { runBuild, type BuildExit } from './build-process.js';
import { Phases } from './phases.js';
import { teardownThenClean, type CoordinatorCall } from './teardown-then-clean.js';
import { announceRun } from './progress.js';

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
  json: boolean;
  say: (m: string) => void;
}


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

/** What every phase of one run shares: the way to the swarm, the record being written, its notes. */
interface RunState {
  config: Config;
  opts: RunOptions;
  runId: string;
  call: CoordinatorCall;
  phases: Phases;
  record: RunRecordInput;
  notes: string[];
  patterns: Set<string>;
  /** The build's environment: tuning adds to it. */
  env: NodeJS.ProcessEnv;
  /** Kernel settings were changed for the build (rolled back in post-task). */
  systemApplied: boolean;
  soft<T>(what: string, fn: () => Promise<T>): Promise<T | null>;
}

async function preTask(s: RunState): Promise<void> {
  const { call, soft, opts, notes } = s;
  const ev = buildHookEvent('pre-task', { taskId: s.runId, description: `${opts.name}: ${opts.command.join(' ')}` }, '');
  await soft('pre-task hook', () => call('hook', { event: ev }));
  s.record.checkpoint = await checkpoint(opts.chroot);
  // Kernel settings an interrupted run left changed are restored before anything else.
  const pending = await soft('system status', () => call<{ checkpoint: unknown }>('system', { action: 'status' }));
  if (pending?.checkpoint) {
    const rb = await soft('system rollback', () => call<{ rollback: { restored: string[] } }>('system', { action: 'rollback' }));
    notes.push(`restored kernel settings an interrupted run had changed: ${rb?.rollback.restored.join(', ') || 'none differed'}`);
  }
}

async function tunePhase(s: RunState): Promise<void> {
  const target = s.opts.chroot && existsSync(s.opts.chroot) ? s.opts.chroot : null;
  const t = await s.soft('tuning', () => s.call<{ env: Record<string, string>; choice: unknown; predicted?: { timeMs: number; sizeBytes: number } | null }>('tune', { target, mode: 'auto' }));
  if (t) {
    s.record.tuning = { applied: t.env, choice: t.choice, predicted: t.predicted ?? null };
    Object.assign(s.env, t.env);
  }
}

async function optimizeSystemPhase(s: RunState): Promise<void> {
  const r = await s.soft('optimize-system', () => s.call<{ optimize: { applied: string[]; failed: { name: string; error: string }[] } }>('system', { action: 'apply', buildDir: existingAncestor(s.opts.chroot ?? '/') }));
  if (r) {
    s.systemApplied = true;
    s.record.system = r.optimize;
  }
}

async function attachAptCache(s: RunState, chroot: string): Promise<void> {
  mkdirSync(chroot, { recursive: true });
  const a = await s.soft('apt cache', () => s.call<{ cacheDir: string }>('cache-attach', { chroot }));
  if (a) s.notes.push(`apt archive cache ${a.cacheDir} bound into the chroot for the build`);
}

async function buildPhase(s: RunState): Promise<BuildExit | null> {
  let exit: BuildExit | null = null;
  try {
    await s.phases.run('build', async () => {
      const e = await runBuild({
        command: s.opts.command,
        env: s.env,
        isolate: s.opts.isolate,
        stdoutToStderr: s.opts.json,
        onStart: (pid) => void s.soft('monitor watch', () => s.call('monitor-watch', { runId: s.runId, pid })),
      });
      exit = e;
      if (e.exitCode !== 0) s.phases.mark(e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`);
    }, s.opts.say);
  } catch (e) {
    s.notes.push((e as Error).message);
  }
  return exit;
}

/** Processes and mounts go whatever happened; the tree is deleted unless kept (a kept chroot is kept unmounted). */
async function takeApart(s: RunState, chroot: string, failed: boolean): Promise<void> {
  const { record, patterns, notes } = s;
  const keep = failed && s.opts.keepOnFailure;
  type Td = { result: NonNullable<RunRecordInput['teardown']> | null };
  type Cl = { result: NonNullable<RunRecordInput['clean']> | null };
  const out = await teardownThenClean<Td, Cl>(s.call, [{ path: chroot, kind: 'tree' }], { clean: !keep, guard: s.soft });
  const td = out.teardowns[chroot];
  record.teardown = td?.result ?? null;
  for (const a of (td?.result?.attempts ?? []) as { fsType: string }[]) patterns.add(`optimization/unmount-strategies/${a.fsType}`);
  if (td?.result) patterns.add('optimization/cleanup-procedures');
  if (td?.result && td.result.status !== 'done') patterns.add('optimization/error-prevention');
  if (keep) notes.push(`--keep-on-failure: ${chroot} is kept for inspection (unmounted)`);
  else if (td?.result?.status === 'done') {
    record.clean = out.clean?.result ?? null;
    if (out.clean?.result) patterns.add(`optimization/cleanup-success/${pathKey(chroot)}`);
  } else notes.push(`${chroot} was not deleted: the teardown did not finish (${td?.result?.reason ?? 'no result'})`);
}

async function postTask(s: RunState): Promise<void> {
  const { call, soft, opts, record, notes, patterns, phases } = s;
  const samples = await soft('monitor samples', () => call<{ samples: unknown[]; events: unknown[] }>('monitor-samples', { runId: s.runId, stop: true }));
  if (samples) {
    record.samples = samples.samples as RunRecordInput['samples'];
    record.events = samples.events as RunRecordInput['events'];
  }
  const failed = record.exitCode !== 0;
  if (opts.aptCache && opts.chroot) {
    const d = await soft('apt cache detach', () => call<{ stats: Record<string, unknown> }>('cache-detach', { chroot: opts.chroot }));
    if (d) {
      record.cache = d.stats;
      patterns.add('optimization/caching-effectiveness/apt-archives');
    }
  }
  if (s.systemApplied) {
    const rb = await soft('system rollback', () => call<{ rollback: { restored: string[]; mismatched: unknown[] } }>('system', { action: 'rollback' }));
    if (rb) record.systemRollback = rb.rollback;
  }
  if (opts.chroot && !existsSync(opts.chroot)) notes.push(`${opts.chroot} does not exist (the build never created it): nothing to take apart`);
  else if (opts.chroot) await takeApart(s, opts.chroot, failed);
  const ev = buildHookEvent('post-task', { taskId: s.runId }, '');
  await soft('post-task hook', () => call('hook', { event: ev }));
  record.endedAt = new Date().toISOString();
  const durationMs = Date.parse(record.endedAt) - Date.parse(record.startedAt);
  const buildPhase = phases.list.find((p) => p.name === 'build');
  await soft('performance record', () =>
    call('memory-record', {
      events: [{
        kind: 'summary', name: 'performance-improvements',
        entry: { runId: s.runId, name: opts.name, exitCode: record.exitCode, durationMs, buildMs: buildPhase?.endedAt ? Date.parse(buildPhase.endedAt) - Date.parse(buildPhase.startedAt) : null, tuning: record.tuning?.applied ?? null },
        counts: { runs: 1, [record.exitCode === 0 ? 'succeeded' : 'failed']: 1 },
      }],
    }),
  );
  patterns.add('optimization/performance-improvements');
}

export async function orchestrateRun(config: Config, nc: NatsConnection, opts: RunOptions): Promise<RunOutcome> {
  const { requestEndpoint } = await import('../bus/request.js');
  const runId = newRunId(opts.name);
  // Every phase change is announced for dashboards (`s` is set before the first phase runs).
  const phases = new Phases(() => announceRun(nc, config.nats.subjectPrefix, s.record));
  const notes: string[] = [];
  const s: RunState = {
    config, opts, runId, phases, notes,
    call: (ep, payload) => requestEndpoint(nc, config.nats.subjectPrefix, 'coordinator', ep, payload, coordinatorTimeoutMs(ep, config.nats.requestTimeoutMs)),
    record: {
      runId, name: opts.name, command: opts.command, chroot: opts.chroot, isolate: opts.isolate, host: hostname(),
      startedAt: new Date().toISOString(), endedAt: null, exitCode: null, signal: null, phases: phases.list,
      tuning: null, samples: [], events: [], teardown: null, clean: null, patternsUpdated: [], notes,
    },
    patterns: new Set<string>(),
    env: { ...process.env, ISOSWARM_RUN_ID: runId },
    systemApplied: false,
    soft: async (what, fn) => {
      try {
        return await fn();
      } catch (e) {
        notes.push(`${what}: ${(e as Error).message}`);
        return null;
      }
    },
  };

  await phases.run('pre-task', () => preTask(s), opts.say);
  if (opts.tune && config.optimizationEnabled) await phases.run('tune', () => tunePhase(s), opts.say);
  if (typeof config.parallelJobs === 'number') s.env.PARALLEL_JOBS = String(config.parallelJobs);
  // After tuning: the tuner measures the chroot as the build found it, not the cache bound into it.
  if (opts.optimizeSystem) await phases.run('optimize-system', () => optimizeSystemPhase(s), opts.say);
  if (opts.aptCache && opts.chroot) await attachAptCache(s, opts.chroot);

  const build = await buildPhase(s);
  s.record.exitCode = build?.exitCode ?? 127;
  s.record.signal = build?.signal ?? null;

  await phases.run('post-task', () => postTask(s), opts.say);
  s.record.patternsUpdated = [...s.patterns];
  return { record: s.record, exit: build };
}
