// A hook call from the CLI: through the coordinator when the swarm is up; otherwise straight into
// LMDB (handler run here, event kept for the stream) with a warning. Bounded time either way.
import type { Config } from '../schemas/config.js';
import { BusError } from '../schemas/bus-error.js';
import { linkSwarm, type SwarmLink } from '../runtime/swarm-link.js';
import { importDist } from '../package-root.js';
import type { HookEvent, HookResult } from '../schemas/hook-types.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { checkBuiltin, preloadHandler, runHookHandlers } from './run-handler.js';
import { appendToSpool, spoolPending } from './spool.js';
import { isAlive } from '../host/proc/process-identity.js';
import { readRunFile } from '../runtime/run-file.js';
import { acquireWriterLock } from '../memory/writer-lock.js';

export class HookHandlerError extends Error {}

export interface HookOutcome {
  result: HookResult;
  warning?: string;
}

/** The coordinator's result, or why the swarm could not take the event. */
async function viaSwarm(
  config: Config,
  paths: StatePaths,
  event: HookEvent,
  shared?: SwarmLink,
  deferred?: boolean,
): Promise<HookResult | string> {
  let s;
  try {
    s = shared ?? (await linkSwarm({ config, paths }, config.nats.hookTimeoutMs));
  } catch (e) {
    return (e as Error).message; // e.g. refused credentials: recorded locally, and said so
  }
  if (!s) return 'swarm is down';
  try {
    return await s.call<HookResult>('hook', deferred ? { event, deferred } : { event });
  } catch (e) {
    if (e instanceof BusError && (e.code === 'hook-failed' || e.code === 'bad-request'))
      throw new HookHandlerError(e.message);
    return `the coordinator did not take the event (${(e as Error).message})`; // recorded locally instead
  } finally {
    if (!shared) await s.close();
  }
}

/** How long a hook waits for the memory's writer lock before it spools instead: a burst never queues. */
const LOCK_WAIT_MS = 40;

type Local = HookResult & { busy?: boolean };

async function locally(config: Config, paths: StatePaths, event: HookEvent): Promise<Local> {
  const started = performance.now();
  const took = (): number => performance.now() - started;
  // A live coordinator owns the memory even while its bus is down: spool the event for it.
  const run = readRunFile(paths.runFile);
  if (run?.coordinator && isAlive(run.coordinator)) {
    appendToSpool(paths, event);
    return {
      hook: event.hook,
      id: event.id,
      message: `${event.hook} spooled for the coordinator`,
      durationMs: took(),
      stored: 'spool',
    };
  }
  // The memory has one writer at a time: everything slow (module loading) happens before the lock.
  await preloadHandler(event, config);
  const lock = await acquireWriterLock(paths.memory, LOCK_WAIT_MS);
  if (!lock) {
    // Another writer holds the memory (a burst of hooks, a CLI call): bad input still fails now
    // (the handler runs against a memory that keeps nothing), a good event waits in the spool for
    // whoever next holds the lock. LMDB is never loaded on this path.
    try {
      await checkBuiltin(event, config, {
        get: () => undefined,
        set: async () => undefined,
        update: async (_k, fn) => fn(undefined),
      });
    } catch (err) {
      throw new HookHandlerError((err as Error).message);
    }
    appendToSpool(paths, event);
    return {
      hook: event.hook,
      id: event.id,
      message: `${event.hook} spooled`,
      durationMs: took(),
      stored: 'spool',
      busy: true,
    };
  }
  // Loaded from dist/ at run time: the lean hooks bundle leaves LMDB and zod out.
  const { MemoryStore } = await importDist<typeof import('../memory/store.js')>('src', 'memory', 'store.js');
  const { MemoryOps } = await importDist<typeof import('../memory/operations.js')>('src', 'memory', 'operations.js');
  const store = await MemoryStore.openLocked(paths.memory, { mapSizeBytes: config.memory.mapSizeBytes }, lock);
  try {
    const ops = new MemoryOps(store);
    // Spooled events happened first: they run before this one (a pre-task before its post-task).
    if (spoolPending(paths)) {
      const { drainSpool } = await importDist<typeof import('./spool-drain.js')>(
        'src',
        'hook-runtime',
        'spool-drain.js',
      );
      await drainSpool(paths, config, ops);
    }
    // Kept for the stream: the coordinator publishes pending events when it next starts.
    await store.set(`hooks/pending/${event.at}-${event.id}`, event);
    let r;
    try {
      r = await runHookHandlers(event, config, ops.hookMemory());
    } catch (e) {
      throw new HookHandlerError((e as Error).message);
    }
    return { hook: event.hook, id: event.id, message: r.message, data: r.data, durationMs: took(), stored: 'local' };
  } finally {
    await store.close();
  }
}

/**
 * `shared`: a connection the caller already holds (and closes). `deferred`: the coordinator answers
 * once the event is in the durable stream and runs its handler after (for events nobody waits on).
 */
export async function sendHook(
  config: Config,
  paths: StatePaths,
  event: HookEvent,
  shared?: SwarmLink,
  deferred?: boolean,
): Promise<HookOutcome> {
  const r = await viaSwarm(config, paths, event, shared, deferred);
  if (typeof r !== 'string') return { result: r };
  const { busy, ...result } = await locally(config, paths, event);
  const where = busy
    ? 'spooled: the memory was busy (the next isoswarm call that writes or reads it runs the event)'
    : result.stored === 'spool'
      ? 'spooled for the coordinator (it runs it when its bus is back)'
      : 'recorded locally (it reaches the event stream when the swarm is up)';
  return { result, warning: `${r}; hook ${where}` };
}
