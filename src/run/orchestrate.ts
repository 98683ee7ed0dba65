// isoswarm run: pre-task (checkpoint, tuning into the build's environment), the build (streamed,
// signals forwarded, watched by the Monitor), and on any exit post-task: teardown and clean of the
// chroot by policy, lessons recorded, the run record written for `isoswarm report`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { isAtOrUnder, readMountinfo } from '../host/mountinfo.js';
import type { Config } from '../schemas/config.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { refOf } from '../host/process-identity.js';
import type { BuildExit } from './build-process.js';
import { runGuardedBuild } from './guarded-build.js';
import { leaseTimes } from './lease.js';
import { Phases } from './phases.js';
import { postTask, type Call } from './post-task.js';
import { createRunDir, markDone, takeClaim, writeDurable, type RegisteredRun } from './registry.js';

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
  /** Chroots that interrupted runs left mounts or processes under: torn down before pre-task. */
  recover?: string[];
  /** The state dir: the run registry lives in it. */
  stateRoot: string;
  say: (m: string) => void;
}


export interface RunOutcome {
  record: RunRecordInput;
  exit: BuildExit | null;
  /** The run's registry entry (null when the build never started). */
  dir: string | null;
  /** This runner's lease had lapsed: a coordinator does post-task and writes the record. */
  takenOver: boolean;
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

  if (opts.recover?.length) {
    await phases.run('recover', async () => {
      const recovered: unknown[] = [];
      const { waitForLostRuns } = await import('./leftovers.js');
      for (const target of opts.recover!) {
        // A run whose runner was lost is finished by the coordinator: that comes first.
        await waitForLostRuns(opts.stateRoot, target, 120_000);
        if (!existsSync(target)) {
          notes.push(`${target}: its interrupted run was finished by the swarm meanwhile`);
          continue;
        }
        const td = await soft(`recover ${target}`, () => call<{ result: { status: string; unmounted: string[]; signalled: unknown[]; reason?: string } | null }>('teardown', { target }, 30 * 60_000));
        recovered.push({ target, status: td?.result?.status ?? 'failed', unmounted: td?.result?.unmounted ?? [], signalled: td?.result?.signalled.length ?? 0 });
        if (td?.result) notes.push(`recovered ${target} (left by an interrupted run): ${td.result.status}, ${td.result.unmounted.length} mount(s) unmounted, ${td.result.signalled.length} process(es) signalled`);
        if (td?.result?.status !== 'done' && target === opts.chroot) throw new Error(`the leftovers under ${target} could not be torn down: ${td?.result?.reason ?? 'no result'}`);
      }
      (record as Record<string, unknown>).recovered = recovered;
    }, opts.say);
  }
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
  if (typeof config.parallelJobs === 'number') env.PARALLEL_JOBS = String(config.parallelJobs);
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
    if (a) notes.push(`apt archive cache ${a.cacheDir} bound into the chroot for the build`);
  }


  let exit: BuildExit | null = null;
  let dir: string | null = null;
  try {
    await phases.run('build', async () => {
      // The run is registered before the build starts: from here on the swarm can finish it.
      dir = createRunDir(opts.stateRoot, runId);
      const { leaseMs, graceMs } = leaseTimes();
      const reg: RegisteredRun = { runId, name: opts.name, chroot: opts.chroot, keepOnFailure: opts.keepOnFailure, aptCache: opts.aptCache, systemApplied, cli: refOf(process.pid)!, leaseMs, graceMs, record };
      writeDurable(join(dir, 'run.json'), reg);
      await soft('run registration', () => call('run-register', { runId }));
      exit = await runGuardedBuild({
        command: opts.command,
        env,
        isolate: opts.isolate,
        stdoutToStderr: opts.json,
        onStart: (pid) => void soft('monitor watch', () => call('monitor-watch', { runId, pid })),
        dir, leaseMs, graceMs,
      });
      if (exit.exitCode !== 0) phases.mark(exit.signal ? `killed by ${exit.signal}` : `exit ${exit.exitCode}`);
    }, opts.say);
  } catch (e) {
    notes.push((e as Error).message);
  }
  const build = exit as BuildExit | null;
  record.exitCode = build?.exitCode ?? 127;
  record.signal = build?.signal ?? null;

  const ownsPostTask = dir ? takeClaim(dir, refOf(process.pid)!, 'cli') : true;
  if (!ownsPostTask) notes.push('post-task was taken over by the coordinator (this runner\'s lease had lapsed)');
  else {
    await phases.run('post-task', () => postTask(call, { runId, name: opts.name, chroot: opts.chroot, keepOnFailure: opts.keepOnFailure, aptCache: opts.aptCache, systemApplied, record, patterns }), opts.say);
  }
  record.patternsUpdated = [...patterns];
  // Post-task is over: no coordinator must take this run over once this CLI exits.
  if (dir && ownsPostTask) markDone(dir, { at: new Date().toISOString(), recordFile: null, report: null, exitCode: record.exitCode ?? null, runnerLost: false });
  return { record, exit: build, dir, takenOver: !ownsPostTask };
}
