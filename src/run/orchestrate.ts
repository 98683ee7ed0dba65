// isoswarm run: pre-task (checkpoint, tuning into the build's environment), the build (streamed,
// signals forwarded, watched by the Monitor), and on any exit post-task: teardown and clean of the
// chroot by policy, lessons recorded, the run record written for `isoswarm report`.
import { hostname } from 'node:os';
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint, requestRoute } from '../bus/request.js';
import { coordinatorTimeoutMs } from '../schemas/agents/routes.js';
import type { Config } from '../schemas/config.js';
import { refOf } from '../host/proc/process-identity.js';
import { shimEnv } from './shim-env.js';
import { Phases } from './phases.js';
import { postTask } from './post-task.js';
import { markDone, takeClaim } from './registry.js';
import { announceRun } from './progress.js';
import { snapshotLiveBuildCache } from '../builders/live-build-cache.js';
import { newRunId, type RunOptions, type RunOutcome, type RunState } from './run-state.js';
import {
  attachAptCache,
  lowerJobsAfterMemoryAlert,
  optimizeSystemPhase,
  preTask,
  recoverPhase,
  tunePhase,
} from './pre-task-phases.js';
import { buildPhase } from './build-phase.js';
import { aptLayerRedundant } from './builder-apt-layer.js';
import { describePlan, mountPhase, planTmpfs } from './tmpfs-workdir.js';
import { BUILD_LOCK_ENV, lockChrootForBuild } from './chroot-lock.js';
import { statePaths } from '../host/system/state-dir.js';

export type { RunOptions, RunOutcome } from './run-state.js';

/**
 * The build's environment: this run's id, and no ISOSWARM_SHELL_RUN of a script that started
 * `isoswarm run` (that script's run is not this build's: a shell-init script inside uses this run).
 */
function buildEnv(runId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ISOSWARM_RUN_ID: runId };
  delete env.ISOSWARM_SHELL_RUN;
  return env;
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
    env: buildEnv(runId),
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
  // Held until the guardian holds its own, at the latest until the build has ended (a throw before
  // then ends the CLI, and with it the lock).
  const chrootLock = opts.chroot ? await lockChrootForBuild(opts.chroot, runId, statePaths().memory) : null;
  if (chrootLock) {
    s.chrootLock = chrootLock.lock;
    s.env[BUILD_LOCK_ENV] = chrootLock.real;
  }
  // Planned before anything else changes (after --recover cleared the chroot): a refusal (no
  // basis, too little memory, a non-empty dir) stops the run here.
  if (opts.tmpfsWorkdir && opts.chroot) {
    s.record.tmpfs = await planTmpfs(s.call, {
      runId,
      name: opts.name,
      chroot: opts.chroot,
      sizeBytes: opts.tmpfsWorkdir.sizeBytes,
    });
    notes.push(describePlan(s.record.tmpfs));
    if (opts.tmpfsWorkdir.notKept) notes.push(opts.tmpfsWorkdir.notKept);
    opts.say(describePlan(s.record.tmpfs));
  }
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
  // The tmpfs goes on before anything is put into the chroot (kernel settings, the apt cache layer).
  if (s.record.tmpfs) await phases.run('tmpfs-workdir', () => mountPhase(s, s.record.tmpfs!), opts.say);
  // After tuning: the tuner measures the chroot as the build found it, not the cache bound into it.
  if (opts.optimizeSystem) await phases.run('optimize-system', () => optimizeSystemPhase(s), opts.say);
  let aptCache = opts.aptCache;
  if (aptCache && opts.chroot) {
    const redundant = await aptLayerRedundant(s.call, opts.builder);
    if (redundant) notes.push(redundant);
    // Not attached (a redundant layer, or the tuner refused): nothing to detach after the build.
    if (redundant || !(await attachAptCache(s, opts.chroot))) {
      aptCache = false;
      s.opts = { ...opts, aptCache };
    }
  }

  if (opts.builder && opts.builder.name !== 'script') {
    const b = opts.builder;
    s.builderState = { builder: b, cacheBefore: b.name === 'live-build' ? snapshotLiveBuildCache(b.dir) : null };
    s.record.builder = { name: b.name, why: b.why, dir: b.dir };
    notes.push(`builder: ${b.name} (recognised by ${b.why})`);
  }
  const build = await buildPhase(s);
  // Post-task's own teardown and clean check the build lock (the guardian let go of its own already).
  await chrootLock?.lock.release();
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
          aptCache,
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
