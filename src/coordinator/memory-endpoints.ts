// The coordinator's memory endpoints: it is the single writer while it runs.
import { endpoint, type EndpointMap } from '../bus/service.js';
import type { MemoryOps } from '../memory/operations.js';
import { OnceCache } from './once-cache.js';
import { BusError } from '../schemas/bus-error.js';
import {
  importInput,
  keyInput,
  listInput,
  memoryStatsInput,
  queryInput,
  recordInput,
  setInput,
} from '../schemas/agents/coordinator.js';

export function memoryEndpoints(ops: MemoryOps): EndpointMap {
  const once = new OnceCache<{ updated: string[] }>();
  return {
    'memory-get': endpoint({
      input: keyInput,
      handler: ({ key }) => {
        const e = ops.get(key);
        if (!e) throw new BusError('not-found', `no memory entry "${key}"`);
        return e;
      },
    }),
    'memory-set': endpoint({ input: setInput, handler: ({ key, value }) => ops.set(key, value) }),
    'memory-delete': endpoint({ input: keyInput, handler: async ({ key }) => ({ deleted: await ops.delete(key) }) }),
    'memory-list': endpoint({ input: listInput, handler: ({ prefix, limit }) => ops.list(prefix, limit) }),
    'memory-query': endpoint({
      input: queryInput,
      handler: ({ prefix, where, limit }) => {
        try {
          return ops.query(prefix, where, limit);
        } catch (e) {
          throw new BusError('bad-request', (e as Error).message);
        }
      },
    }),
    'memory-import': endpoint({
      input: importInput,
      handler: async ({ entries }) => ({ imported: await ops.importEntries(entries) }),
    }),
    'memory-record': endpoint({
      input: recordInput,
      handler: ({ events, requestId }) =>
        once.run(requestId, async () => ({ updated: (await ops.record(events)).map((e) => e.key) })),
    }),
    'memory-stats': endpoint({ input: memoryStatsInput, handler: () => ops.store.stats() }),
  };
}
