// The debootstrap shim's endpoints: advise (key the call; restore a verified cached root, or let the
// real tool run), store (pack and keep the root the real tool made) and the root lookups of a run.
import { join } from 'node:path';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { RootStore } from '../../src/host/cache/root-store.js';
import { scratchJournalDir } from '../../src/host/delete/scratch-journal.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { checkChrootPolicy } from '../../src/runtime/chroot-policy.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import { rootAdviseInput, rootCallsInput, rootStoreInput } from '../../src/schemas/agents/performance-tuner-roots.js';
import type { CacheBuildStats } from '../../src/learning/reducers.js';
import { ROOT_CACHE, RootCache } from './root-cache.js';
import { cacheLimit } from './cache-limits.js';
import { rootFarmClient } from './root-farm.js';

export function rootCacheDir(ctx: AgentContext): string {
  return ctx.config.caches.rootDir ?? join(ctx.stateDir, 'cache', ROOT_CACHE);
}

export function rootEndpoints(
  ctx: AgentContext,
  memory: MemoryClient,
  onRestored: (target: string) => void = () => undefined,
): EndpointMap {
  const store = new RootStore(rootCacheDir(ctx));
  const cache = new RootCache({
    store,
    journalDir: join(ctx.stateDir, 'journal', 'root-cache'),
    scratchJournal: scratchJournalDir({ ISOSWARM_HOME: ctx.stateDir }),
    policy: (target) => checkChrootPolicy(target, ctx.config),
    limitBytes: async () => (await cacheLimit(ctx.config, ROOT_CACHE, store.sizeBytes(), store.dir, memory)).limitBytes,
    farm: ctx.config.farm.enabled
      ? rootFarmClient(ctx.nc, ctx.prefix, ROOT_CACHE, memory, (msg, err) => ctx.log.warn({ err: err.message }, msg))
      : null,
  });
  const record = (stats: CacheBuildStats | null) =>
    stats &&
    memory
      .record([{ kind: 'cache-use', ...stats }])
      .catch((e: Error) => ctx.log.warn({ err: e.message }, 'root cache use not recorded'));
  return {
    'root-advise': endpoint({
      input: rootAdviseInput,
      description:
        'for a debootstrap call (the shim): key its spec; restore a cached root (sha256 verified) into a fresh target, or let the real tool run',
      handler: async (i) => {
        const r = await cache.advise(i);
        if (r.call.action === 'restored' && r.call.target) onRestored(r.call.target);
        await record(r.stats);
        if (r.events.length)
          await memory
            .record(r.events)
            .catch((e: Error) => ctx.log.warn({ err: e.message }, 'farm root lookup not recorded'));
        return r.call;
      },
    }),
    'root-store': endpoint({
      input: rootStoreInput,
      description:
        'after the real debootstrap of a cacheable miss: pack its root, keep it content-addressed, evict to the limit',
      handler: async ({ callId, exitCode, wallMs }) => {
        const r = await cache.store(callId, exitCode, wallMs);
        await record(r.stats);
        return r;
      },
    }),
    'root-calls': endpoint({
      input: rootCallsInput,
      description: 'the root cache lookups of a run: hit, miss or not cacheable, and why',
      handler: ({ runId }) => ({
        lookups: store.runLookups(runId),
      }),
    }),
  };
}
