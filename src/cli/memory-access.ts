// How the CLI reaches the memory: writes go through the coordinator (the single writer) while it
// runs and straight into LMDB when the swarm is down; reads always go straight to LMDB (readers
// never block the writer).
import { existsSync } from 'node:fs';
import { closeBus } from '../bus/connect.js';
import { MemoryOps } from '../memory/operations.js';
import { MemoryStore, type StoredEntry } from '../memory/store.js';
import { BusError } from '../schemas/bus-error.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import { callCoordinator, connectSwarm, type CliContext } from './context.js';
import { CliError, exitForBusCode } from './exit-codes.js';

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

export async function openWriter(ctx: CliContext): Promise<MemoryWriter> {
  const s = await connectSwarm(ctx);
  if (s) {
    const call = <T>(ep: string, p: unknown) => callCoordinator<T>(ctx, s.nc, ep, p).catch(asCli);
    return {
      via: 'coordinator',
      set: (key, value) => call<StoredEntry>('memory-set', { key, value }),
      delete: async (key) => (await call<{ deleted: boolean }>('memory-delete', { key })).deleted,
      importEntries: async (entries) => {
        let n = 0;
        // Batches keep each message well under the server's payload limit.
        for (let i = 0; i < entries.length; i += 1000) n += (await call<{ imported: number }>('memory-import', { entries: entries.slice(i, i + 1000) })).imported;
        return n;
      },
      record: async (events) => {
        await call('memory-record', { events });
      },
      close: () => closeBus(s.nc),
    };
  }
  const store = await MemoryStore.openWriter(ctx.paths.memory, { mapSizeBytes: ctx.config.memory.mapSizeBytes });
  const ops = new MemoryOps(store);
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

/** A reader on the store, or null when nothing was ever stored. */
export function openReader(ctx: CliContext): MemoryOps | null {
  if (!existsSync(`${ctx.paths.memory}/data.mdb`)) return null;
  return new MemoryOps(MemoryStore.open(ctx.paths.memory, { mapSizeBytes: ctx.config.memory.mapSizeBytes, readOnly: true }));
}
