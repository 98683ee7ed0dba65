// The endpoints behind `isoswarm cache ls|why|prune`.
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import {
  cacheLsInput,
  cachePruneInput,
  cacheWhyInput,
} from '../../src/schemas/agents/performance-tuner-cache-admin.js';
import { listCaches, prune, whyCache, type AdminDeps } from './cache-admin.js';
import type { CacheName } from './cache-limits.js';

export function cacheAdminEndpoints(
  ctx: AgentContext,
  memory: MemoryClient,
  busy: (cache: CacheName) => string | null,
): EndpointMap {
  const d: AdminDeps = { config: ctx.config, stateDir: ctx.stateDir, memory, busy };
  return {
    'cache-ls': endpoint({
      input: cacheLsInput,
      description:
        'each cache: entries, size, the limit its caching-effectiveness record decides (and why), hits and bytes saved',
      handler: async () => ({ caches: await listCaches(d) }),
    }),
    'cache-why': endpoint({
      input: cacheWhyInput,
      description:
        'why a root lookup hit or missed (the spec fields that differed), by key, tarball, target or cache file',
      handler: ({ subject }) => whyCache(d, subject),
    }),
    'cache-prune': endpoint({
      input: cachePruneInput,
      description:
        'evict least recently used entries to each cache limit (or a given size): planned, journalled, applied',
      handler: (i) => prune(d, i),
    }),
  };
}
