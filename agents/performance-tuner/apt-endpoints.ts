// The tuner's apt cache endpoints: attach an overlay of the host cache into a chroot, detach it
// (harvest, count, evict), and take it out for a mksquashfs and put it back.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { listCache } from '../../src/host/cache/cache-dir.js';
import { canonicalPolicy, readHomeDirs, resolveAndCheck, resolveTarget } from '../../src/host/guard/path-policy.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import type { effectivePolicy } from '../../src/runtime/policy.js';
import { cacheInput } from '../../src/schemas/agents/performance-tuner.js';
import { BusError, refuse } from '../../src/schemas/bus-error.js';
import type { AptSessions } from './apt-sessions.js';
import { cacheLimit } from './cache-limits.js';
import { APT_CACHE } from './caches.js';
import type { TuneMemory } from './tune.js';

/** Less than the run's wait for the attach (its route timeout, a minute). */
const ATTACH_WITHIN_MS = 45_000;

export function aptEndpoints(
  ctx: AgentContext,
  tuneMemory: TuneMemory,
  policy: ReturnType<typeof effectivePolicy>,
  apt: AptSessions,
): EndpointMap {
  return {
    'cache-attach': endpoint({
      input: cacheInput,
      description:
        "mount the apt archive cache into a chroot's /var/cache/apt/archives as a read-only overlay lower layer (run-private upper) and start counting hits",
      handler: async ({ chroot, runId }) => {
        // The run waits a minute for this answer, then builds without the cache: never mount after that.
        const deadline = Date.now() + ATTACH_WITHIN_MS;
        await apt.ready;
        // Mounting into a directory is a change to it: the same path policy as a teardown.
        const v = await resolveAndCheck(chroot, await canonicalPolicy(policy), await readHomeDirs());
        if (!v.ok) refuse('refused', { code: v.code, reason: v.reason });
        const dir = ctx.config.caches.aptDir ?? join(ctx.stateDir, 'cache', APT_CACHE);
        const priv = join(apt.overlayRoot, `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
        // The limit this build evicts to: what the cache's effectiveness record decides, within bounds.
        const size = listCache(dir, (n) => n.endsWith('.deb')).reduce((n, f) => n + f.size, 0);
        const limit = await cacheLimit(ctx.config, APT_CACHE, size, dir, tuneMemory);
        mkdirSync(dir, { recursive: true });
        const s = await apt.attach(dir, v.path, limit.limitBytes, priv, deadline, runId ?? null);
        if (s === 'late')
          refuse('locked', { code: 'locked', reason: 'the apt cache was busy with other builds for too long' });
        if (s === 'attached') throw new BusError('bad-request', `the apt cache is already attached to ${v.path}`);
        if (s === 'locked')
          refuse('locked', { code: 'locked', reason: `a cleanup of the apt cache ${dir} is running` });
        return {
          chroot: v.path,
          cacheDir: s.dir,
          mountedAt: s.handle?.target ?? null,
          privateDir: priv,
          layer: 'overlay',
        };
      },
    }),
    'cache-detach': endpoint({
      input: cacheInput,
      description:
        "unbind the apt cache (only our mount), harvest and count this build's downloads and hits, evict to the limit once no build has it attached",
      handler: async ({ chroot, runId }) => {
        await apt.ready;
        const v = await resolveTarget(chroot);
        const key = v.ok ? v.path : chroot;
        const live = apt.get(key);
        // Another run's session (this run's attach had no answer): not this run's to end.
        const s = live && (!live.runId || !runId || live.runId === runId) ? live : undefined;
        if (!s) {
          // Ended before this run asked (a reap, or its own detach it stopped waiting for): answered as ended.
          const ended = apt.endedEarlier(key, runId ?? null);
          if (ended) return ended;
          throw new BusError('not-found', `no apt cache attached to ${chroot} by this agent`);
        }
        // Still mounted (the unmount failed): the session and the hold stay, for a detach again, and
        // its use is recorded once, when it ends (apt-sessions.ts).
        return apt.detach(apt.key(key), s);
      },
    }),
    'cache-suspend': endpoint({
      input: cacheInput,
      description:
        'take the apt cache overlay out of a chroot (e.g. before a mksquashfs of it); downloads so far are captured',
      handler: async ({ chroot }) => {
        await apt.ready;
        const s = apt.get(chroot);
        if (!s) return { suspended: false, reason: 'no apt cache attached there' };
        const r = await apt.suspend(s);
        if (!r.unmounted && s.handle) throw new BusError('refused', r.reason);
        return { suspended: true, reason: r.reason };
      },
    }),
    'cache-resume': endpoint({
      input: cacheInput,
      description: 'put a suspended apt cache overlay back into its chroot',
      handler: async ({ chroot }) => {
        await apt.ready;
        const s = apt.get(chroot);
        if (!s) return { resumed: false, reason: 'no apt cache attached there' };
        const h = await apt.resume(s);
        return { resumed: true, mountedAt: h.target };
      },
    }),
  };
}
