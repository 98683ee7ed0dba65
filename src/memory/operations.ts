// The memory operations, shared by the coordinator's endpoints (single writer while it runs) and by
// the CLI's direct path when the swarm is down. Writes under optimization/ are validated.
import { BusError } from '../schemas/bus-error.js';
import { validateRecord } from '../schemas/memory-records.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import type { HookMemory } from '../schemas/hook-types.js';
import { pathKey } from './keys.js';
import { matches, parseFilter } from './query.js';
import { addDecision, decisionsKey } from '../learning/decisions.js';
import { appendItem } from '../learning/append.js';
import { addCacheUse, addCleanupOutcome, addSummaryEntry, addUnmountAttempt } from '../learning/reducers.js';
import type { MemoryStore, StoredEntry } from './store.js';
import { FarmLedger } from '../farm/ledger.js';

/** Refuses a value that is not a valid record for its key (optimization/* records are typed). */
export function checked(key: string, value: unknown): void {
  const v = validateRecord(key, value);
  if (!v.ok) throw new BusError('bad-request', `invalid value for ${key}: ${v.message}`);
}

export function keyFor(e: LearningEvent): string {
  switch (e.kind) {
    case 'unmount-attempt':
      return `optimization/unmount-strategies/${e.fsType}`;
    case 'cleanup-outcome':
      return `optimization/cleanup-success/${pathKey(e.target)}`;
    case 'cache-use':
      return `optimization/caching-effectiveness/${e.cache}`;
    case 'summary':
      return `optimization/${e.name}`;
    case 'put':
    case 'append':
      return e.key;
    case 'decision':
      return decisionsKey(e.key);
  }
}

/** One learning event applied to a record (the same reducers on every host and in the farm's bucket). */
export function applyEvent(old: unknown, e: LearningEvent, now: string): unknown {
  switch (e.kind) {
    case 'unmount-attempt':
      return addUnmountAttempt(old, e, now);
    case 'cleanup-outcome':
      return addCleanupOutcome(old, e, now);
    case 'cache-use':
      return addCacheUse(old, e, now);
    case 'summary':
      return addSummaryEntry(old, e.entry, e.counts, now);
    case 'put':
      checked(keyFor(e), e.value);
      return e.value;
    case 'decision': {
      const { kind: _k, key: pattern, ...d } = e;
      return addDecision(old, pattern, d, now);
    }
    case 'append': {
      const v = appendItem(old, e);
      checked(keyFor(e), v);
      return v;
    }
  }
}

/** Told of every learning event after it is stored (a farm replicates them to the other hosts). */
export type RecordListener = (events: { key: string; event: LearningEvent; at: string }[]) => void;

export class MemoryOps {
  private listener: RecordListener | null = null;
  private ledger: FarmLedger | null = null;
  constructor(readonly store: MemoryStore) {}

  /** A store that joined a farm keeps its own contribution beside each merged record (farm/ledger.ts). */
  private farm(key: string): FarmLedger | null {
    this.ledger ??= FarmLedger.of(this.store);
    return this.ledger?.covers(key) ? this.ledger : null;
  }

  private async write(key: string, change: (old: unknown) => unknown): Promise<StoredEntry> {
    const farm = this.farm(key);
    if (!farm) return this.store.update(key, change);
    await this.store.batch(farm.localWrites(key, change));
    return this.store.get(key)!;
  }

  onRecorded(l: RecordListener | null): void {
    this.listener = l;
  }

  get(key: string): StoredEntry | undefined {
    return this.store.get(key);
  }

  async set(key: string, value: unknown): Promise<StoredEntry> {
    checked(key, value);
    const out = this.farm(key) ? await this.write(key, () => value) : await this.store.set(key, value);
    if (key.startsWith('optimization/'))
      this.listener?.([{ key, event: { kind: 'put', key, value }, at: new Date().toISOString() }]);
    return out;
  }

  async delete(key: string): Promise<boolean> {
    return this.store.delete(key);
  }

  list(prefix: string, limit = Infinity): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const e of this.store.range(prefix)) {
      if (out.length >= limit) break;
      out.push(e);
    }
    return out;
  }

  query(prefix: string, where: string[], limit = Infinity): StoredEntry[] {
    const filters = where.map(parseFilter);
    const out: StoredEntry[] = [];
    for (const e of this.store.range(prefix)) {
      if (out.length >= limit) break;
      if (filters.every((f) => matches(e.value, f))) out.push(e);
    }
    return out;
  }

  async importEntries(entries: { key: string; value: unknown; updatedAt?: string }[]): Promise<number> {
    for (const e of entries) checked(e.key, e.value);
    // On a farm member an imported record becomes this host's contribution to it.
    const merged = entries.filter((e) => this.farm(e.key));
    for (const e of merged) await this.write(e.key, () => e.value);
    const at = new Date().toISOString();
    if (merged.length)
      this.listener?.(merged.map((e) => ({ key: e.key, event: { kind: 'put', key: e.key, value: e.value }, at })));
    return merged.length + (await this.store.setMany(entries.filter((e) => !this.farm(e.key))));
  }

  /** Applies learning events, each as an atomic read-modify-write. */
  async record(events: LearningEvent[]): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    const done: Parameters<RecordListener>[0] = [];
    for (const e of events) {
      const key = keyFor(e);
      const now = new Date().toISOString();
      out.push(await this.write(key, (old) => applyEvent(old, e, now)));
      if (key.startsWith('optimization/')) done.push({ key, event: e, at: now });
    }
    if (done.length) this.listener?.(done);
    return out;
  }

  /** The view hook handlers get. */
  hookMemory(): HookMemory {
    return {
      get: (k) => this.store.get(k)?.value,
      set: async (k, v) => {
        await this.set(k, v);
      },
      update: async (k, fn) => (await this.store.update(k, fn)).value,
    };
  }
}
