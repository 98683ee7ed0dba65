// The PerformanceTuner's endpoints: measured compression and parallelism for a tree (remembered per
// host), and the host's kernel settings with a checkpoint that rollback restores byte for byte.
import { existsSync, statSync } from 'node:fs';
import { cpus, freemem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { hostFingerprint } from '../../src/host/squashfs/fingerprint.js';
import { optimizeSystem, readCheckpoint, rollback } from '../../src/host/system/sysctl-settings.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { MemoryClient } from '../../src/runtime/memory-client.js';
import { BusError, refuse } from '../../src/schemas/bus-error.js';
import { MODES } from './choose.js';
import { isTuneRecord, parallelConfigKey } from './learning.js';
import { exportEnv, recommend, shellQuote } from './recommend.js';
import { tune } from './tune.js';
import { APT_CACHE, DEBOOTSTRAP_CACHE, attachAptCache, detachAptCache, type AptSession } from './caches.js';
import { bootstrapThroughCache } from './bootstrap.js';
import { canonicalPolicy, readHomeDirs, resolveAndCheck, resolveTarget } from '../../src/host/guard/path-policy.js';
import { effectivePolicy } from '../../src/runtime/policy.js';

const tuneInput = z.object({
  target: z.string().min(1).max(4096).nullable().default(null),
  mode: z.enum(MODES as unknown as [string, ...string[]]).default('auto'),
  force: z.boolean().default(false),
  benchmark: z.boolean().default(false),
});

const systemInput = z.object({
  action: z.enum(['apply', 'rollback', 'status']),
  buildDir: z.string().min(1).default('/'),
  dryRun: z.boolean().default(false),
});

const cacheInput = z.object({ chroot: z.string().min(1).max(4096) });
const bootstrapInput = z.object({
  target: z.string().min(1).max(4096),
  suite: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  mirror: z.string().regex(/^(https?|file):\/\/\S+$/),
  arch: z.string().regex(/^[a-z0-9]+$/).default('amd64'),
  variant: z.enum(['minbase', 'buildd', 'fakechroot']).optional(),
  include: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/)).max(500).default([]),
});

export function tunerEndpoints(ctx: AgentContext): EndpointMap {
  const memory = new MemoryClient(ctx.nc, ctx.prefix, 10_000);
  const checkpointPath = join(ctx.stateDir, 'checkpoints', 'system.json');
  const tuneMemory = { get: (k: string) => memory.get(k), set: (k: string, v: unknown) => memory.set(k, v) };

  const aptSessions = new Map<string, AptSession>();
  const policy = effectivePolicy(ctx.config);

  return {
    'cache-attach': endpoint({
      input: cacheInput,
      description: 'bind the apt archive cache into a chroot\'s /var/cache/apt/archives and start counting hits',
      handler: async ({ chroot }) => {
        // Mounting into a directory is a change to it: the same path policy as a teardown.
        const v = await resolveAndCheck(chroot, await canonicalPolicy(policy), await readHomeDirs());
        if (!v.ok) refuse('refused', { code: v.code, reason: v.reason });
        if (aptSessions.has(v.path)) throw new BusError('bad-request', `the apt cache is already attached to ${v.path}`);
        const dir = ctx.config.caches.aptDir ?? join(ctx.stateDir, 'cache', APT_CACHE);
        const s = await attachAptCache(dir, v.path, ctx.config.caches.aptLimitBytes);
        aptSessions.set(v.path, s);
        return { chroot: v.path, cacheDir: s.dir, mountedAt: s.handle.target };
      },
    }),
    'cache-detach': endpoint({
      input: cacheInput,
      description: 'unbind the apt cache (only our mount), count this build\'s hits and downloads, evict to the limit',
      handler: async ({ chroot }) => {
        const v = await resolveTarget(chroot);
        const key = v.ok ? v.path : chroot;
        const s = aptSessions.get(key);
        if (!s) throw new BusError('not-found', `no apt cache attached to ${chroot} by this agent`);
        aptSessions.delete(key);
        const { unbind, stats } = await detachAptCache(s);
        await memory.record([{ kind: 'cache-use', ...stats }]).catch((e: Error) => ctx.log.warn({ err: e.message }, 'cache use not recorded'));
        return { unbind, stats };
      },
    }),
    bootstrap: endpoint({
      input: bootstrapInput,
      description: 'debootstrap a base system into a chroot through the tarball cache (fetched once per suite/arch/variant/mirror)',
      handler: async ({ target, suite, mirror, arch, variant, include }) => {
        // Writing a tree: the same path policy as a teardown, judged on the parent (the target may not exist yet).
        const { checkChrootPolicy } = await import('../../src/runtime/chroot-policy.js');
        const refusal = await checkChrootPolicy(target, ctx.config);
        if (refusal) refuse('refused', refusal);
        const dir = ctx.config.caches.debootstrapDir ?? join(ctx.stateDir, 'cache', DEBOOTSTRAP_CACHE);
        const r = await bootstrapThroughCache(dir, ctx.config.caches.debootstrapLimitBytes, { suite, mirror, arch, ...(variant ? { variant } : {}), ...(include.length ? { include } : {}) }, target);
        await memory.record([{ kind: 'cache-use', ...r.stats }]).catch((e: Error) => ctx.log.warn({ err: e.message }, 'cache use not recorded'));
        return r;
      },
    }),
    tune: endpoint({
      input: tuneInput,
      description: 'measure compressors on a sample of the tree (or reuse what this host learned) and recommend build settings',
      handler: async ({ target, mode, force, benchmark }) => {
        if (target === null) {
          // No tree yet (the build creates it): host resources, plus the squashfs choice this host
          // learned before, if any. Nothing is guessed: without a record there is no MKSQUASHFS_OPTS.
          const fp = await hostFingerprint('/');
          const rec = await memory.get(parallelConfigKey(fp.id)).catch(() => undefined);
          const learned = isTuneRecord(rec) ? rec : null;
          const threads = fp.threads || cpus().length;
          // Job counts do not depend on the compressor; its options come only from a measurement.
          const env = exportEnv(recommend({ comp: 'gzip', processors: threads }, { threads, memAvailableBytes: freemem() }, 0));
          if (learned) env.MKSQUASHFS_OPTS = learned.choice.mksquashfsOpts;
          else delete env.MKSQUASHFS_OPTS;
          return { env, exports: Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n') + '\n', choice: learned?.choice ?? null, predicted: null, fastPath: true, candidates: [], reason: learned ? `squashfs choice learned on this host at ${learned.measuredAt}` : 'no tree to measure and nothing learned yet: only parallelism is set' };
        }
        if (!existsSync(target) || !statSync(target).isDirectory()) throw new BusError('bad-request', `${target} is not a directory`);
        const r = await tune({ target, mode: mode as never, force, benchmark, onProgress: (m) => ctx.log.debug(m) }, tuneMemory);
        return {
          env: r.env,
          exports: r.exports,
          choice: r.choice,
          predicted: r.choice.predicted ? { timeMs: r.choice.predicted.buildMs, sizeBytes: r.choice.predicted.imageBytes } : null,
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
      description: 'vm dirty ratios, cache pressure, CPU governor, I/O scheduler: apply with a checkpoint, roll back exactly',
      handler: ({ action, buildDir, dryRun }) => {
        if (action === 'status') return { checkpoint: readCheckpoint(checkpointPath) };
        if (action === 'rollback') return { rollback: rollback(checkpointPath) };
        if (process.getuid?.() !== 0 && !dryRun) refuse('refused', { code: 'needs-root', reason: 'changing kernel settings needs root' });
        try {
          return { optimize: optimizeSystem({ buildDir, checkpointPath, dryRun }) };
        } catch (e) {
          refuse('refused', { code: 'not-applied', reason: (e as Error).message });
        }
      },
    }),
  };
}
