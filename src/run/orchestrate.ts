// Over 250 lines on purpose: one function per phase of a run, in the order they run.
// isoswarm run: pre-task (checkpoint, tuning into the build's environment), the build (streamed,
// signals forwarded, watched by the Monitor), and on any exit post-task: teardown and clean of the
// chroot by policy, lessons recorded, the run record written for `isoswarm report`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint, requestRoute } from '../bus/request.js';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { isAtOrUnder } from '../host/fs/paths.js';
import type { RouteInput, RouteName, RouteReply } from '../schemas/agents/contracts.js';
import { coordinatorTimeoutMs } from '../schemas/agents/routes.js';
import type { Config } from '../schemas/config.js';
import type { RunCheckpoint, RunRecordInput } from '../schemas/run-record.js';
import { refOf } from '../host/proc/process-identity.js';
import type { BuildExit } from './build-process.js';
import { runGuardedBuild } from './guarded-build.js';
import { leaseTimes } from './lease.js';
import { waitForLostRuns } from './leftovers.js';
import { shimEnv } from './shim-env.js';
import { Phases } from './phases.js';
import { postTask } from './post-task.js';
import { createRunDir, markDone, takeClaim, writeDurable, type RegisteredRun } from './registry.js';
import type { CoordinatorCall } from './teardown-then-clean.js';
import { announceRun } from './progress.js';
import type { BuilderInfo } from '../builders/detect.js';
import { writeBuilderState, type BuilderState } from './builder-state.js';
import { learnedPlan, jobsRecommendation } from './learned-plan.js';
import { snapshotLiveBuildCache } from '../builders/live-build-cache.js';

export interface RunOptions {
  command: string[];
  chroot: string | null;
  isolate: boolean;
  keepOnFailure: boolean;
  /** Keep the chroot whatever the outcome (unmounted, processes ended): `--keep` or a builder's default. */
  keep?: { reason: string } | null;
  name: string;
  /** The builder recognised from the command (src/builders): its stages and caches are read after the build. */
  builder?: BuilderInfo | null;
  tune: boolean;
  /** Bind the apt archive cache into the chroot for the build and count its hits. */
  aptCache: boolean;
  /** Tune the host's kernel settings for the build (checkpointed; restored after it). */
  optimizeSystem: boolean;
  /** What the mksquashfs shim does with options the build passes itself (default fill). */
  squashfs?: 'respect' | 'fill' | 'override';
  /** The debootstrap shim restores and stores roots (default true; `--no-root-cache`). */
  rootCache?: boolean;
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
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60) || 'run'}-${stamp}-${randomBytes(2).toString('hex')}`;
}

async function checkpoint(chroot: string | null): Promise<RunCheckpoint> {
  const mounts = await readMountinfo();
  const under = chroot ? mounts.filter((m) => isAtOrUnder(m.mountPoint, chroot)).map((m) => m.mountPoint) : [];
  let freeBytes: number | null = null;
  try {
    const s = statfsSync(chroot ? existingAncestor(chroot) : '/');
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
  /** A coordinator endpoint by route: payload and reply typed by its contract. */
  route: <R extends RouteName>(route: R, payload: RouteInput<R>) => Promise<RouteReply<R>>;
  phases: Phases;
  record: RunRecordInput;
  notes: string[];
  patterns: Set<string>;
  /** The build's environment: tuning adds to it. */
  env: NodeJS.ProcessEnv;
  /** Kernel settings were changed for the build (rolled back in post-task). */
  systemApplied: boolean;
  soft<T>(what: string, fn: () => Promise<T>): Promise<T | null>;
  /** The run's registry entry, once registered (just before the build). */
  dir: string | null;
  /** The recognised builder and, for live-build, its cache before the build. */
  builderState: BuilderState | null;
}

/** Leftovers of interrupted runs under these chroots are torn down first (after the swarm finished any lost run there). */
async function recoverPhase(s: RunState, targets: string[]): Promise<void> {
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

async function preTask(s: RunState): Promise<void> {
  const { call, soft, opts, notes } = s;
  const ev = buildHookEvent(
    'pre-task',
    { taskId: s.runId, description: `${opts.name}: ${opts.command.join(' ')}` },
    '',
  );
  await soft('pre-task hook', () => call('hook', { event: ev }));
  s.record.checkpoint = await checkpoint(opts.chroot);
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

async function tunePhase(s: RunState): Promise<void> {
  const target = s.opts.chroot && existsSync(s.opts.chroot) ? s.opts.chroot : null;
  const t = await s.soft('tuning', () => s.route('tune', { target, mode: 'auto' }));
  if (t) {
    s.record.tuning = { applied: t.env, choice: t.choice, predicted: t.predicted ?? null };
    Object.assign(s.env, t.env);
  }
}

/** A memory alert during or since the last run of this name lowers this run's job count. */
async function lowerJobsAfterMemoryAlert(s: RunState): Promise<void> {
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

async function optimizeSystemPhase(s: RunState): Promise<void> {
  const r = await s.soft('optimize-system', () =>
    s.route('system', { action: 'apply', buildDir: existingAncestor(s.opts.chroot ?? '/') }),
  );
  if (r && 'optimize' in r) {
    s.systemApplied = true;
    s.record.system = r.optimize;
  }
}

async function attachAptCache(s: RunState, chroot: string): Promise<void> {
  mkdirSync(chroot, { recursive: true });
  const a = await s.soft('apt cache', () => s.route('cache-attach', { chroot }));
  if (a)
    s.notes.push(`apt archive cache ${a.cacheDir} mounted into the chroot as a read-only overlay layer for the build`);
}

async function buildPhase(s: RunState): Promise<BuildExit | null> {
  let exit: BuildExit | null = null;
  try {
    await s.phases.run(
      'build',
      async () => {
        // The run is registered before the build starts: from here on the swarm can finish it.
        const dir = createRunDir(s.opts.stateRoot, s.runId);
        s.dir = dir;
        const { leaseMs, graceMs } = leaseTimes();
        const reg: RegisteredRun = {
          runId: s.runId,
          name: s.opts.name,
          chroot: s.opts.chroot,
          keepOnFailure: s.opts.keepOnFailure,
          keep: s.opts.keep ?? null,
          aptCache: s.opts.aptCache,
          systemApplied: s.systemApplied,
          cli: refOf(process.pid)!,
          leaseMs,
          graceMs,
          record: s.record,
        };
        writeDurable(join(dir, 'run.json'), reg);
        // `phase NAME` calls in the build write their stage marks here.
        s.env.ISOSWARM_RUN_DIR = dir;
        if (s.builderState) writeBuilderState(dir, s.builderState);
        await s.soft('run registration', () => s.route('run-register', { runId: s.runId }));
        const e = await runGuardedBuild({
          command: s.opts.command,
          env: s.env,
          isolate: s.opts.isolate,
          stdoutToStderr: s.opts.json,
          // The chroot's file system is watched for the run (a build filling it raises a disk alert).
          onStart: (pid) =>
            void s.soft('monitor watch', () =>
              s.route('monitor-watch', {
                runId: s.runId,
                pid,
                disks: s.opts.chroot ? [existingAncestor(s.opts.chroot)] : [],
              }),
            ),
          dir,
          leaseMs,
          graceMs,
        });
        exit = e;
        if (e.exitCode !== 0) s.phases.mark(e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`);
      },
      s.opts.say,
    );
  } catch (e) {
    s.notes.push((e as Error).message);
  }
  return exit;
}

export async function orchestrateRun(config: Config, nc: NatsConnection, opts: RunOptions): Promise<RunOutcome> {
  const runId = newRunId(opts.name);
  // Every phase change is announced for dashboards (`s` is set before the first phase runs).
  const phases = new Phases(() => announceRun(nc, config.nats.subjectPrefix, s.record));
  const notes: string[] = [];
  const s: RunState = {
    config,
    opts,
    runId,
    phases,
    notes,
    call: (ep, payload) =>
      requestEndpoint(
        nc,
        config.nats.subjectPrefix,
        'coordinator',
        ep,
        payload,
        coordinatorTimeoutMs(ep, config.nats.requestTimeoutMs),
      ),
    route: (r, payload) =>
      requestRoute(nc, config.nats.subjectPrefix, r, payload, coordinatorTimeoutMs(r, config.nats.requestTimeoutMs)),
    record: {
      runId,
      name: opts.name,
      command: opts.command,
      chroot: opts.chroot,
      isolate: opts.isolate,
      host: hostname(),
      startedAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      signal: null,
      phases: phases.list,
      tuning: null,
      samples: [],
      events: [],
      teardown: null,
      clean: null,
      patternsUpdated: [],
      notes,
    },
    patterns: new Set<string>(),
    env: { ...process.env, ISOSWARM_RUN_ID: runId },
    systemApplied: false,
    dir: null,
    builderState: null,
    soft: async (what, fn) => {
      try {
        return await fn();
      } catch (e) {
        notes.push(`${what}: ${(e as Error).message}`);
        return null;
      }
    },
  };

  if (opts.recover?.length) await phases.run('recover', () => recoverPhase(s, opts.recover!), opts.say);
  await phases.run('pre-task', () => preTask(s), opts.say);
  if (opts.tune && config.optimizationEnabled) await phases.run('tune', () => tunePhase(s), opts.say);
  if (typeof config.parallelJobs === 'number') {
    // The user's PARALLEL_JOBS (environment or config) wins over the recommendation; make follows it.
    s.env.PARALLEL_JOBS = String(config.parallelJobs);
    s.env.MAKEFLAGS = `-j${config.parallelJobs}`;
  } else await lowerJobsAfterMemoryAlert(s);
  if (opts.tune && config.optimizationEnabled) {
    // Tuning at the moment of use: the build finds the mksquashfs shim first on its PATH.
    Object.assign(s.env, shimEnv(s.env, opts.squashfs ?? 'fill', opts.rootCache ?? true));
    s.notes.push(
      `mksquashfs and debootstrap calls go through the shims in ${s.env.ISOSWARM_SHIM_DIR} (squashfs policy ${s.env.ISOSWARM_SQUASHFS}, root cache ${s.env.ISOSWARM_ROOT_CACHE})`,
    );
  }
  // After tuning: the tuner measures the chroot as the build found it, not the cache bound into it.
  if (opts.optimizeSystem) await phases.run('optimize-system', () => optimizeSystemPhase(s), opts.say);
  if (opts.aptCache && opts.chroot) await attachAptCache(s, opts.chroot);

  if (opts.builder && opts.builder.name !== 'script') {
    const b = opts.builder;
    s.builderState = { builder: b, cacheBefore: b.name === 'live-build' ? snapshotLiveBuildCache(b.dir) : null };
    s.record.builder = { name: b.name, why: b.why, dir: b.dir };
    notes.push(`builder: ${b.name} (recognised by ${b.why})`);
  }
  const build = await buildPhase(s);
  s.record.exitCode = build?.exitCode ?? 127;
  s.record.signal = build?.signal ?? null;

  const ownsPostTask = s.dir ? takeClaim(s.dir, refOf(process.pid)!, 'cli') : true;
  if (!ownsPostTask) notes.push("post-task was taken over by the coordinator (this runner's lease had lapsed)");
  else {
    await phases.run(
      'post-task',
      () =>
        postTask(s.call, {
          runId,
          name: opts.name,
          chroot: opts.chroot,
          keepOnFailure: opts.keepOnFailure,
          keep: opts.keep ?? null,
          aptCache: opts.aptCache,
          systemApplied: s.systemApplied,
          dir: s.dir,
          record: s.record,
          patterns: s.patterns,
        }),
      opts.say,
    );
  }
  s.record.patternsUpdated = [...s.patterns];
  // Post-task is over: no coordinator must take this run over once this CLI exits.
  if (s.dir && ownsPostTask)
    markDone(s.dir, {
      at: new Date().toISOString(),
      recordFile: null,
      report: null,
      exitCode: s.record.exitCode ?? null,
      runnerLost: false,
    });
  return { record: s.record, exit: build, dir: s.dir, takenOver: !ownsPostTask };
}
