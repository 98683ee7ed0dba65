// Over 250 lines on purpose: the tuner's endpoints share one memory client, policy and scratch journal.
// The PerformanceTuner's endpoints: measured compression and parallelism for a tree (remembered per
// host), and the host's kernel settings with a checkpoint that rollback restores byte for byte.
import { existsSync, statSync } from 'node:fs';
import { cpus, freemem } from 'node:os';
import { startCpuHistory } from '../../src/host/proc/cpu-recent.js';
import { join, resolve as resolvePath } from 'node:path';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { type Mode } from './choose.js';
import { parseCall, type SquashPolicy } from './squashfs-policy.js';
import { decideCall, loadCalls, newCall, reportCall, saveCall, type SquashCall } from './squashfs-calls.js';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { hostFingerprint } from '../../src/host/squashfs/fingerprint.js';
import { optimizeSystem } from '../../src/host/system/kernel-apply.js';
import { readCheckpoint, rollback } from '../../src/host/system/kernel-rollback.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { recoverScratch, scratchJournalDir } from '../../src/host/delete/scratch-journal.js';
import { readOnlySwarm } from '../../src/runtime/read-only-swarm.js';
import { MemoryClient } from '../../src/runtime/memory-client.js';
import { BusError, refuse } from '../../src/schemas/bus-error.js';
import { AptSessions } from './apt-sessions.js';
import { aptEndpoints } from './apt-endpoints.js';
import {
  adviseInput,
  bootstrapInput,
  reportInput,
  squashfsCallsInput,
  systemInput,
  tuneInput,
} from '../../src/schemas/agents/performance-tuner.js';
import { isTuneRecord, parallelConfigKey } from './learning.js';
import { exportEnv, recommend, shellQuote } from './recommend.js';
import { tune, type TuneMemory, type TuneResult } from './tune.js';
import { tuneDecisions } from './tune-decisions.js';
import { DEBOOTSTRAP_CACHE, type AptSession } from './caches.js';
import { bootstrapThroughCache } from './bootstrap.js';
import { effectivePolicy } from '../../src/runtime/policy.js';
import { rootEndpoints } from './root-endpoints.js';
import { cacheAdminEndpoints } from './cache-admin-endpoints.js';
import { cacheLimit } from './cache-limits.js';
import { listCache } from '../../src/host/cache/cache-dir.js';
import { installedDebNames } from '../../src/host/cache/dpkg-status.js';
import { checkChrootPolicy } from '../../src/runtime/chroot-policy.js';

export function tunerEndpoints(ctx: AgentContext): EndpointMap {
  // CPU marks of the last seconds: a decision reads the other work that will meet the build.
  startCpuHistory();
  const memory = new MemoryClient(ctx.nc, ctx.prefix, 10_000);
  const checkpointPath = join(ctx.stateDir, 'checkpoints', 'system.json');
  const tuneMemory: TuneMemory = {
    get: (k) => memory.get(k),
    set: (k, v) => memory.set(k, v),
    // Appends go to the single writer as one event: applied in its transaction, none is lost.
    append: (key, a) => memory.record([{ kind: 'append', key, ...a }]),
  };

  // What the stored tune records and the time calibration changed goes to the decision log.
  const logTuneDecisions = (r: TuneResult): void => {
    const d = tuneDecisions(r);
    if (d.length)
      void memory.record(d).catch((e: Error) => ctx.log.warn({ err: e.message }, 'tune decisions not recorded'));
  };

  // Every session's use is recorded when it ends, by its detach or by a reap.
  const apt = new AptSessions(ctx.stateDir, ctx.log, ctx.config.caches.aptLimitBytes, !readOnlySwarm(), (stats) =>
    memory.record([{ kind: 'cache-use', ...stats }]),
  );
  const pendingCalls = new Map<string, SquashCall>();
  const fingerprints = new Map<string, string>();
  const policy = effectivePolicy(ctx.config);
  // Scratch a predecessor killed mid-tune left behind goes first (through the safe deleter), unless
  // a dry run started this swarm.
  if (!readOnlySwarm())
    void recoverScratch(scratchJournalDir({ ISOSWARM_HOME: ctx.stateDir }))
      .then((r) => {
        if (r.removed.length) ctx.log.info({ removed: r.removed }, 'removed scratch dirs a killed tuner left behind');
        for (const f of r.failed) ctx.log.warn(f, 'a scratch dir left behind could not be removed');
      })
      .catch((e: Error) => ctx.log.warn({ err: e.message }, 'the scratch journal could not be read'));

  return {
    // A root restored into a chroot with the apt cache attached: its packages came from the root
    // cache, not the apt cache, so they are not counted as apt hits.
    ...rootEndpoints(ctx, memory, (target) => {
      const sess = apt.get(target);
      if (sess) {
        sess.installedBefore = installedDebNames(sess.chroot);
        apt.touched(sess);
      }
    }),
    // The apt cache's host dir is the overlay's lower layer while attached: it must not change then.
    ...cacheAdminEndpoints(ctx, memory, (cache) => (cache === 'apt-archives' ? apt.busy() : null)),
    ...aptEndpoints(ctx, tuneMemory, policy, apt),
    bootstrap: endpoint({
      input: bootstrapInput,
      description:
        'debootstrap a base system into a chroot through the tarball cache (fetched once per suite/arch/variant/mirror)',
      handler: async ({ target, suite, mirror, arch, variant, include }) => {
        // Writing a tree: the same path policy as a teardown, judged on the parent (the target may not exist yet).
        const refusal = await checkChrootPolicy(target, ctx.config);
        if (refusal) refuse('refused', refusal);
        const dir = ctx.config.caches.debootstrapDir ?? join(ctx.stateDir, 'cache', DEBOOTSTRAP_CACHE);
        const size = listCache(dir, (n) => n.endsWith('.tgz')).reduce((n, f) => n + f.size, 0);
        const r = await bootstrapThroughCache(
          dir,
          (await cacheLimit(ctx.config, DEBOOTSTRAP_CACHE, size, dir, tuneMemory)).limitBytes,
          { suite, mirror, arch, ...(variant ? { variant } : {}), ...(include.length ? { include } : {}) },
          target,
        );
        await memory
          .record([{ kind: 'cache-use', ...r.stats }])
          .catch((e: Error) => ctx.log.warn({ err: e.message }, 'cache use not recorded'));
        return r;
      },
    }),
    'squashfs-advise': endpoint({
      input: adviseInput,
      description:
        "for a mksquashfs call (the shim): tune its source tree now (or reuse a matching measurement), apply the run's policy, take apt cache overlays out of the tree",
      handler: async ({ runId, cwd, args, policy, mode, baseline, pid }) => {
        await apt.ready; // the overlays in the source tree, those from before this start included
        let call = newCall(runId, args, policy as SquashPolicy, mode as Mode);
        const src = call.source ? resolvePath(cwd, call.source) : null;
        if (!ctx.config.optimizationEnabled)
          call.note = 'optimization is disabled (OPTIMIZATION_ENABLED=false): the call runs as asked';
        else if (!src || !existsSync(src) || !statSync(src).isDirectory())
          call.note = 'the source is not a directory: the call runs as asked';
        else {
          call.source = src;
          for (const [chroot, sess] of apt.entries()) {
            if (!isAtOrUnder(chroot, src) || !sess.handle) continue;
            const r = await apt.suspend(sess);
            if (!r.unmounted)
              throw new BusError(
                'refused',
                `the apt cache overlay in ${chroot} could not be taken out before squashing ${src}: ${r.reason}`,
              );
            call.cacheSuspended.push(chroot);
          }
          let t;
          try {
            t = await tune(
              {
                target: src,
                mode: mode as Mode,
                treeKeyed: true,
                asked: parseCall(args).options,
                ...(baseline ? { baseline } : {}),
                ...(pid ? { callerPid: pid } : {}),
                onProgress: (m) => ctx.log.debug(m),
              },
              tuneMemory,
            );
          } catch (e) {
            // The shim falls back to the real tool as asked: the cache goes back into the chroot first.
            for (const chroot of call.cacheSuspended)
              await apt.resume(apt.get(chroot) as AptSession).catch(() => undefined);
            throw e;
          }
          logTuneDecisions(t);
          call = decideCall(call, t, freemem(), baseline);
          fingerprints.set(call.callId, t.fingerprint.id);
        }
        await saveCall(tuneMemory, call).catch((e: Error) =>
          ctx.log.warn({ err: e.message }, 'squashfs call not stored'),
        );
        pendingCalls.set(call.callId, call);
        return call;
      },
    }),
    'squashfs-report': endpoint({
      input: reportInput,
      description:
        "the shim's measured wall time, CPU time and image size for a call, stored beside the prediction; apt cache overlays go back",
      handler: async ({ callId, runId, wallMs, cpuMs, imageBytes, exitCode }) => {
        const call = pendingCalls.get(callId) ?? (await loadCalls(tuneMemory, runId)).find((c) => c.callId === callId);
        if (!call) throw new BusError('not-found', `no mksquashfs call ${callId}`);
        pendingCalls.delete(callId);
        const resumed: string[] = [];
        for (const chroot of call.cacheSuspended) {
          const sess = apt.get(chroot);
          if (sess) {
            await apt.resume(sess);
            resumed.push(chroot);
          }
        }
        const done = await reportCall(
          tuneMemory,
          call,
          { wallMs, cpuMs, imageBytes, exitCode },
          fingerprints.get(callId) ?? null,
        );
        fingerprints.delete(callId);
        return { call: done, resumed };
      },
    }),
    'squashfs-calls': endpoint({
      input: squashfsCallsInput,
      description: 'the mksquashfs calls of a run: asked, ran, predicted, measured',
      handler: async ({ runId }) => ({ calls: await loadCalls(tuneMemory, runId) }),
    }),
    tune: endpoint({
      input: tuneInput,
      description:
        'measure compressors on a sample of the tree (or reuse what this host learned) and recommend build settings',
      handler: async ({ target, mode, force, benchmark }) => {
        if (target === null) {
          // No tree yet (the build creates it): host resources, plus the squashfs choice this host
          // learned before, if any. Nothing is guessed: without a record there is no MKSQUASHFS_OPTS.
          const fp = await hostFingerprint('/');
          const rec = await memory.get(parallelConfigKey(fp.id)).catch(() => undefined);
          const learned = isTuneRecord(rec) ? rec : null;
          const threads = fp.threads || cpus().length;
          // Job counts do not depend on the compressor; its options come only from a measurement.
          const env = exportEnv(
            recommend({ comp: 'gzip', processors: threads }, { threads, memAvailableBytes: freemem() }, 0),
          );
          if (learned) env.MKSQUASHFS_OPTS = learned.choice.mksquashfsOpts;
          else delete env.MKSQUASHFS_OPTS;
          return {
            env,
            exports:
              Object.entries(env)
                .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
                .join('\n') + '\n',
            choice: learned?.choice ?? null,
            predicted: null,
            fastPath: true,
            candidates: [],
            reason: learned
              ? `squashfs choice learned on this host at ${learned.measuredAt}`
              : 'no tree to measure and nothing learned yet: only parallelism is set',
          };
        }
        if (!existsSync(target) || !statSync(target).isDirectory())
          throw new BusError('bad-request', `${target} is not a directory`);
        const r = await tune(
          { target, mode: mode as never, force, benchmark, onProgress: (m) => ctx.log.debug(m) },
          tuneMemory,
        );
        logTuneDecisions(r);
        return {
          env: r.env,
          exports: r.exports,
          choice: r.choice,
          predicted: r.choice.predicted
            ? { timeMs: r.choice.predicted.buildMs, sizeBytes: r.choice.predicted.imageBytes }
            : null,
          fastPath: r.fastPath,
          reuse: r.reuse,
          candidates: r.candidates,
          decision: r.decision,
          recommendation: r.recommendation,
          durationMs: r.durationMs,
          key: r.key,
          fingerprint: r.fingerprint,
          benchmark: r.benchmark ?? null,
          reason: r.choice.reason,
        };
      },
    }),
    system: endpoint({
      input: systemInput,
      description:
        'vm dirty ratios, cache pressure, CPU governor, I/O scheduler: apply with a checkpoint, roll back exactly',
      handler: ({ action, buildDir, dryRun }) => {
        if (action === 'status') return { checkpoint: readCheckpoint(checkpointPath) };
        if (action === 'rollback') return { rollback: rollback(checkpointPath) };
        if (process.getuid?.() !== 0 && !dryRun)
          refuse('refused', { code: 'needs-root', reason: 'changing kernel settings needs root' });
        try {
          return { optimize: optimizeSystem({ buildDir, checkpointPath, dryRun }) };
        } catch (e) {
          refuse('refused', { code: 'not-applied', reason: (e as Error).message });
        }
      },
    }),
  };
}
