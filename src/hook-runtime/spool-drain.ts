// Runs the spooled hook events into the memory, exactly once each: the handlers' writes, each
// event's "pending for the stream" copy and its done-marker commit in one transaction (per batch of
// events); the files go after the commit and the markers after the files. An interrupted drain
// leaves either files with no effects (run again) or files with their markers (skipped, removed).
// Only the memory's single writer may call it (the coordinator, or a direct writer holding the lock).
import type { StatePaths } from '../host/system/state-dir.js';
import { BufferedMemory } from '../memory/buffered-memory.js';
import type { MemoryOps } from '../memory/operations.js';
import type { BatchWrite } from '../memory/store.js';
import type { Config } from '../schemas/config.js';
import { hookEventSchema } from '../schemas/hooks.js';
import type { HookEvent } from '../schemas/hook-types.js';
import { runHookHandlers } from './run-handler.js';
import { readSpool, removeSpooled, type SpooledEvent } from './spool.js';

export interface DrainOptions {
  /** Publishes an event to the durable stream (the coordinator); without it the event stays pending. */
  publish?: (event: HookEvent) => Promise<void>;
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

export interface DrainOutcome {
  /** Run and committed (failed ones are counted apart). */
  drained: number;
  /** Already committed by an interrupted drain: removed without running again. */
  skipped: number;
  failed: number;
  unreadable: number;
}

const doneKey = (id: string): string => `hooks/drained/${id}`;

/** Events per transaction: one commit (one fsync) per batch keeps a drain of a large burst quick. */
const BATCH = 200;

export async function drainSpool(
  paths: StatePaths,
  config: Config,
  ops: MemoryOps,
  opts: DrainOptions = {},
): Promise<DrainOutcome> {
  const out: DrainOutcome = { drained: 0, skipped: 0, failed: 0, unreadable: 0 };
  const spooled = readSpool(paths);
  for (let i = 0; i < spooled.length; i += BATCH) await drainBatch(spooled.slice(i, i + BATCH), config, ops, opts, out);
  return out;
}

async function drainBatch(
  batch: SpooledEvent[],
  config: Config,
  ops: MemoryOps,
  opts: DrainOptions,
  out: DrainOutcome,
): Promise<void> {
  // What this batch has written so far: later events of the batch read it before the store.
  const view = new Map<string, unknown>();
  const writes: BatchWrite[] = [];
  const done: { s: SpooledEvent; id: string }[] = [];
  for (const s of batch) {
    const parsed = hookEventSchema.safeParse(s.event);
    if (!parsed.success) {
      opts.warn?.('a spooled hook event is unreadable; kept aside as .bad', { file: s.file });
      removeSpooled(s, true);
      out.unreadable++;
      continue;
    }
    const event = parsed.data;
    if (ops.get(doneKey(event.id))) {
      done.push({ s, id: event.id });
      out.skipped++;
      continue;
    }
    // The stream dedupes by event id, so a publish repeated after an interruption is harmless.
    if (opts.publish) await opts.publish(event);
    const memory = new BufferedMemory((k) => (view.has(k) ? view.get(k) : ops.get(k)?.value));
    try {
      await runHookHandlers(event, config, memory);
      for (const [k, v] of memory.view) view.set(k, v);
      writes.push(...memory.writes);
      out.drained++;
    } catch (e) {
      // The caller was told "spooled" and exited 0: the failure is kept where people look for it.
      writes.push({ key: `hooks/failed/${event.at}-${event.id}`, value: { event, error: (e as Error).message } });
      opts.warn?.('a spooled hook failed', { hook: event.hook, id: event.id, err: (e as Error).message });
      out.failed++;
    }
    writes.push({ key: doneKey(event.id), value: { at: new Date().toISOString() } });
    if (!opts.publish) writes.push({ key: `hooks/pending/${event.at}-${event.id}`, value: event });
    done.push({ s, id: event.id });
  }
  if (writes.length) await ops.store.batch(writes);
  for (const d of done) removeSpooled(d.s);
  await ops.store.removeMany(done.map((d) => doneKey(d.id)));
}
