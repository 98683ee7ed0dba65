// A farm member's records in its own LMDB: its own contribution to every merged record
// (farm/mine/<key>, with a version that grows by one per change), the other members' contributions
// as last received (farm/from/<key> <member>), and the record itself, always the merge of all of
// them (record-merge.ts). A local change writes the contribution and the merged record in one
// transaction, so a crash never leaves one without the other; the sync (pattern-sync.ts) only copies
// contributions, each member's to a key of its own in the farm's bucket.
import { randomBytes } from 'node:crypto';
import type { BatchWrite, MemoryStore } from '../memory/store.js';
import { isMerged, mergeContributions } from './record-merge.js';

export const FARM_ID = 'farm/id';
export const MINE = 'farm/mine/';
const FROM = 'farm/from/';

export interface Contribution {
  v: number;
  value: unknown;
}

/** This store's identity in the farm: the host name and an id drawn when it joined. */
export interface FarmId {
  host: string;
  id: string;
  joinedAt: string;
}

const isContribution = (x: unknown): x is Contribution =>
  !!x && typeof x === 'object' && typeof (x as Contribution).v === 'number';
const version = (x: unknown): number => (isContribution(x) ? x.v : 0);

export class FarmLedger {
  private constructor(
    private readonly store: MemoryStore,
    readonly me: FarmId,
  ) {}

  /** The id drawn at the join: a store copied to a new machine and a reinstalled host never share a key. */
  get member(): string {
    return this.me.id;
  }

  /** The ledger of a store that joined a farm, else null. */
  static of(store: MemoryStore): FarmLedger | null {
    const v = store.get(FARM_ID)?.value as FarmId | undefined;
    return v && typeof v.host === 'string' && typeof v.id === 'string' ? new FarmLedger(store, v) : null;
  }

  /**
   * Joins (once per store and host name): the records this store learned before become its
   * contribution, so they are merged into the farm's, never replaced by them.
   */
  static async join(store: MemoryStore, host: string): Promise<{ ledger: FarmLedger; seeded: number }> {
    const had = FarmLedger.of(store);
    if (had && had.me.host === host) return { ledger: had, seeded: 0 };
    // A renamed host keeps its id (and so its keys and contributions); a first join seeds them.
    if (had) {
      const me: FarmId = { ...had.me, host };
      await store.set(FARM_ID, me);
      return { ledger: new FarmLedger(store, me), seeded: 0 };
    }
    const me: FarmId = { host, id: randomBytes(8).toString('hex'), joinedAt: new Date().toISOString() };
    const writes: BatchWrite[] = [{ key: FARM_ID, value: me }];
    for (const e of store.range('optimization/'))
      if (isMerged(e.key)) writes.push({ key: MINE + e.key, value: { v: 1, value: e.value } });
    await store.batch(writes);
    return { ledger: new FarmLedger(store, me), seeded: writes.length - 1 };
  }

  covers(key: string): boolean {
    return isMerged(key);
  }

  mine(key: string): Contribution | undefined {
    const v = this.store.get(MINE + key)?.value;
    return isContribution(v) ? v : undefined;
  }

  /** The version of `member`'s contribution to `key` held here (0: none). */
  held(key: string, member: string): number {
    return version(this.store.get(`${FROM}${key} ${member}`)?.value);
  }

  /** Every own contribution: key and version. */
  *mineAll(): Generator<{ key: string; v: number }> {
    for (const e of this.store.range(MINE)) yield { key: e.key.slice(MINE.length), v: version(e.value) };
  }

  /** The record as this host reads it: every member's contribution merged, in member order. */
  view(key: string, mine = this.mine(key)): unknown {
    const parts: [string, unknown][] = mine ? [[this.member, mine.value]] : [];
    const from = `${FROM}${key} `;
    for (const e of this.store.range(from))
      if (isContribution(e.value)) parts.push([e.key.slice(from.length), e.value.value]);
    parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return mergeContributions(
      key,
      parts.map((p) => p[1]),
    );
  }

  /** A local change of this host's contribution and the merged record, for one transaction. */
  localWrites(key: string, change: (old: unknown) => unknown): BatchWrite[] {
    let next: Contribution | undefined;
    return [
      {
        key: MINE + key,
        fn: (old) => (next = { v: version(old) + 1, value: change(isContribution(old) ? old.value : undefined) }),
      },
      { key, fn: (old) => this.view(key, next) ?? old },
    ];
  }

  /** Another member's contribution (one not newer than the one held is ignored), and the merged record. */
  remoteWrites(key: string, member: string, c: Contribution): BatchWrite[] {
    return [
      { key: `${FROM}${key} ${member}`, fn: (old) => (version(old) >= c.v && isContribution(old) ? old : c) },
      { key, fn: (old) => this.view(key) ?? old },
    ];
  }

  /** A newer contribution of this very member found in the farm (this store was restored from a backup). */
  adoptWrites(key: string, c: Contribution): BatchWrite[] {
    return [
      { key: MINE + key, fn: (old) => (version(old) >= c.v && isContribution(old) ? old : c) },
      { key, fn: (old) => this.view(key) ?? old },
    ];
  }
}
