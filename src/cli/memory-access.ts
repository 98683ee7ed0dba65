// How the CLI reaches the memory: writes go through the coordinator (the single writer) while it
// runs and straight into LMDB when the swarm is down; reads always go straight to LMDB (readers
// never block the writer).
import { existsSync } from 'node:fs';
import { closeBus } from '../bus/connect.js';
import { MemoryOps } from '../memory/operations.js';
import { MemoryStore, MemoryStoreBusy, type StoredEntry } from '../memory/store.js';
import { drainSpool } from '../hook-runtime/spool-drain.js';
import { spoolPending } from '../hook-runtime/spool.js';
import { BusError } from '../schemas/bus-error.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import { callCoordinator, connectSwarm, type CliContext } from './context.js';
import { CliError, EXIT, exitForBusCode } from './exit-codes.js';
import { readRunFile } from '../runtime/run-file.js';
import { isAlive } from '../host/proc/process-identity.js';

export interface MemoryWriter {
  via: 'coordinator' | 'direct';
  set(key: string, value: unknown): Promise<StoredEntry>;
  delete(key: string): Promise<boolean>;
  importEntries(entries: { key: string; value: unknown; updatedAt?: string }[]): Promise<number>;
  record(events: LearningEvent[]): Promise<void>;
  close(): Promise<void>;
}

function asCli(e: unknown): never {
  if (e instanceof BusError) throw new CliError(e.message, exitForBusCode(e.code));
  throw e;
}

/** How long a direct write waits for other direct writers before it gives up. */
const DIRECT_WAIT_MS = 60_000;

export async function openWriter(ctx: CliContext): Promise<MemoryWriter> {
  const rf = readRunFile(ctx.paths.runFile);
  const owner = rf?.coordinator && isAlive(rf.coordinator) ? rf.coordinator : null;
  // A live coordinator owns the memory: on a busy host its server may answer slowly, so the write
  // waits longer for it instead of falling back.
  const s = (await connectSwarm(ctx)) ?? (owner ? await connectSwarm(ctx, 30_000) : null);
  if (s) {
    const call = <T>(ep: string, p: unknown) => callCoordinator<T>(ctx, s.nc, ep, p).catch(asCli);
    return {
      via: 'coordinator',
      set: (key, value) => call<StoredEntry>('memory-set', { key, value }),
      delete: async (key) => (await call<{ deleted: boolean }>('memory-delete', { key })).deleted,
      importEntries: async (entries) => {
        let n = 0;
        // Batches keep each message well under the server's payload limit.
        for (let i = 0; i < entries.length; i += 1000)
          n += (await call<{ imported: number }>('memory-import', { entries: entries.slice(i, i + 1000) })).imported;
        return n;
      },
      record: async (events) => {
        await call('memory-record', { events });
      },
      close: () => closeBus(s.nc),
    };
  }
  // A coordinator that lives but cannot be reached owns the memory: say so rather than wait on it.
  if (owner) {
    throw new CliError(
      `the coordinator (pid ${owner.pid}) owns the memory but cannot be reached over NATS; try again, or stop it with \`isoswarm down\``,
      EXIT.unavailable,
    );
  }
  // Other direct writers are short CLI calls: under a burst on a busy host the queue moves, slowly.
  const store = await MemoryStore.openWriter(ctx.paths.memory, {
    mapSizeBytes: ctx.config.memory.mapSizeBytes,
    waitMs: DIRECT_WAIT_MS,
  });
  const ops = new MemoryOps(store);
  if (spoolPending(ctx.paths)) await drainSpool(ctx.paths, ctx.config, ops);
  return {
    via: 'direct',
    set: (k, v) => ops.set(k, v).catch(asCli),
    delete: (k) => ops.delete(k),
    importEntries: (e) => ops.importEntries(e).catch(asCli),
    record: async (events) => {
      await ops.record(events).catch(asCli);
    },
    close: () => store.close(),
  };
}

/**
 * Hook events spooled during a burst (the memory was busy) are in the memory only once drained:
 * a read drains first when it can take the writer lock at once (not while the coordinator runs:
 * it drains them itself).
 */
async function drainIfFree(ctx: CliContext): Promise<void> {
  if (!spoolPending(ctx.paths)) return;
  let store: MemoryStore;
  try {
    store = await MemoryStore.openWriter(ctx.paths.memory, { mapSizeBytes: ctx.config.memory.mapSizeBytes, waitMs: 0 });
  } catch (e) {
    if (e instanceof MemoryStoreBusy) return;
    throw e;
  }
  try {
    await drainSpool(ctx.paths, ctx.config, new MemoryOps(store));
  } finally {
    await store.close();
  }
}

/** A reader on the store, or null when nothing was ever stored. */
export async function openReader(ctx: CliContext): Promise<MemoryOps | null> {
  await drainIfFree(ctx);
  if (!existsSync(`${ctx.paths.memory}/data.mdb`)) return null;
  return new MemoryOps(
    MemoryStore.open(ctx.paths.memory, { mapSizeBytes: ctx.config.memory.mapSizeBytes, readOnly: true }),
  );
}
