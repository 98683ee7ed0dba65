// The one owner of lmdb: the memory store. A fixed, large map size; values are JSON, each wrapped
// with its update time. The coordinator is the single writer while it runs; without it, CLI calls
// write directly (LMDB's own write lock serialises processes; every write is committed before we return).
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import type { TargetLock } from '../host/guard/target-lock.js';
import { acquireWriterLock } from './writer-lock.js';
import { open, type RootDatabase } from 'lmdb';

export interface StoredEntry {
  key: string;
  value: unknown;
  updatedAt: string;
}

// The update time is kept as epoch milliseconds (cheap to encode) and shown as ISO text.
interface Wrapped {
  v: unknown;
  t: number;
}

let lastT = -1;
let lastIso = '';
/** ISO text of epoch ms; consecutive writes within one millisecond share the formatting. */
const iso = (t: number): string => {
  if (t !== lastT) {
    lastT = t;
    lastIso = new Date(t).toISOString();
  }
  return lastIso;
};

export interface OpenOptions {
  mapSizeBytes: number;
  readOnly?: boolean;
}

export type BatchWrite = { key: string; value: unknown } | { key: string; fn: (old: unknown) => unknown };

export class MemoryStoreBusy extends Error {
  override name = 'MemoryStoreBusy';
}

export class MemoryStore {
  private lock: TargetLock | null = null;

  private constructor(
    private readonly db: RootDatabase<Wrapped, string>,
    readonly path: string,
  ) {}

  /**
   * Opens the memory for writing as its only writer: an inter-process lock (released by the kernel
   * if the holder dies) is taken first and held until close. One writer at a time is what LMDB
   * through lmdb-js handles reliably; several writer processes at once have failed commits here.
   * Waits up to `waitMs` for another writer (a CLI call, or the coordinator while it runs).
   */
  static async openWriter(
    dir: string,
    opts: Omit<OpenOptions, 'readOnly'> & { waitMs?: number },
  ): Promise<MemoryStore> {
    const waitMs = opts.waitMs ?? 10_000;
    const lock = await acquireWriterLock(dir, waitMs);
    if (!lock)
      throw new MemoryStoreBusy(
        `the memory at ${dir} is held by another writer (the coordinator, or another isoswarm call) for longer than ${waitMs} ms`,
      );
    return MemoryStore.openLocked(dir, opts, lock);
  }

  /** Opens for writing under a writer lock the caller already took (released on close, or on failure here). */
  static async openLocked(dir: string, opts: Omit<OpenOptions, 'readOnly'>, lock: TargetLock): Promise<MemoryStore> {
    try {
      const store = MemoryStore.open(dir, opts);
      store.lock = lock;
      return store;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  static open(dir: string, opts: OpenOptions): MemoryStore {
    if (!opts.readOnly) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = open<Wrapped, string>({
      path: dir,
      mapSize: opts.mapSizeBytes,
      readOnly: opts.readOnly ?? false,
      encoding: 'msgpack',
      // Durability over speed: a write the caller was told about is on disk.
      noSync: false,
      // Several processes write when the swarm is down (each CLI call): lmdb-js's overlapping sync
      // lets a transaction start before the last one is flushed, which with more than one writer
      // process fails ("mdb_page_touch no parent"). Plain LMDB commits are safe across processes.
      overlappingSync: false,
    });
    // LMDB creates its files with the process umask; the memory is nobody else's to read.
    if (!opts.readOnly) for (const f of readdirSync(dir)) chmodSync(`${dir}/${f}`, 0o600);
    return new MemoryStore(db, dir);
  }

  get(key: string): StoredEntry | undefined {
    const w = this.db.get(key);
    return w === undefined ? undefined : { key, value: w.v, updatedAt: iso(w.t) };
  }

  /** Resolves once the write is committed. */
  set(key: string, value: unknown): Promise<StoredEntry> {
    const t = Date.now();
    return this.db.put(key, { v: value, t }).then(() => ({ key, value, updatedAt: iso(t) }));
  }

  /** Several writes committed in one transaction. */
  async setMany(entries: { key: string; value: unknown; updatedAt?: string }[]): Promise<number> {
    const now = Date.now();
    await this.db.transaction(() => {
      for (const e of entries)
        void this.db.put(e.key, { v: e.value, t: (e.updatedAt && Date.parse(e.updatedAt)) || now });
    });
    return entries.length;
  }

  /** Atomic read-modify-write inside one write transaction. */
  async update(key: string, fn: (old: unknown | undefined) => unknown): Promise<StoredEntry> {
    const t = Date.now();
    let value: unknown;
    await this.db.transaction(() => {
      const old = this.db.get(key);
      value = fn(old?.v);
      void this.db.put(key, { v: value, t });
    });
    return { key, value, updatedAt: iso(t) };
  }

  /**
   * Several writes in one transaction: a plain value, or a function of the value committed before
   * it (applied inside the transaction, so a concurrent writer's change is never overwritten).
   */
  async batch(writes: BatchWrite[]): Promise<void> {
    const t = Date.now();
    await this.db.transaction(() => {
      for (const w of writes) void this.db.put(w.key, { v: 'fn' in w ? w.fn(this.db.get(w.key)?.v) : w.value, t });
    });
  }

  /** Removes several keys in one transaction. */
  async removeMany(keys: string[]): Promise<void> {
    if (keys.length) await this.db.transaction(() => keys.forEach((k) => void this.db.remove(k)));
  }

  /** Resolves false when there was nothing under the key. */
  async delete(key: string): Promise<boolean> {
    if (!this.db.doesExist(key)) return false;
    return this.db.remove(key);
  }

  *range(prefix = ''): Generator<StoredEntry> {
    // Keys are strings: everything with the prefix sorts between prefix and prefix + U+FFFF.
    const opts = prefix ? { start: prefix, end: `${prefix}\uffff` } : {};
    for (const { key, value } of this.db.getRange(opts)) {
      yield { key, value: value.v, updatedAt: iso(value.t) };
    }
  }

  count(prefix = ''): number {
    let n = 0;
    for (const _ of this.db.getKeys(prefix ? { start: prefix, end: `${prefix}\uffff` } : {})) n++;
    return n;
  }

  stats(): { entries: number; mapSizeBytes: number; usedBytes: number; path: string } {
    const s = this.db.getStats() as {
      entryCount?: number;
      pageSize?: number;
      treeBranchPageCount?: number;
      treeLeafPageCount?: number;
      overflowPages?: number;
      mapSize?: number;
      lastPageNumber?: number;
    };
    const page = s.pageSize ?? 4096;
    return {
      entries: s.entryCount ?? this.count(),
      mapSizeBytes: s.mapSize ?? 0,
      usedBytes: ((s.lastPageNumber ?? 0) + 1) * page,
      path: this.path,
    };
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.lock?.release();
    this.lock = null;
  }
}
