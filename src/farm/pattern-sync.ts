// Shared patterns: this host's contribution to every optimization/* record (farm/ledger.ts) is copied
// to a key of its own in the farm's KV bucket, and a watcher copies every other member's contribution
// into this host's LMDB, where the record is re-merged (record-merge.ts). LMDB stays the read path
// and keeps working offline: a changed contribution is only marked to be copied, and the copy is
// retried until the bucket takes it. A contribution is a whole value with a version, written by one
// member only, so a repeated or lost write can neither add a count twice nor lose one, and no two
// hosts ever compare-and-set the same key (the CAS guards a member against an older copy of itself).
import type { NatsConnection } from '../bus/connect.js';
import { CasConflict, openBucket, type Bucket, type KvValue } from '../bus/kv.js';
import type { Logger } from '../log/logger.js';
import type { MemoryOps, RecordListener } from '../memory/operations.js';
import { kvKeyOf, memKeyOf } from './kv-keys.js';
import { FarmLedger, type Contribution } from './ledger.js';
import { HOST_SPECIFIC, isHostSpecific, isMerged } from './record-merge.js';

export interface PatternSyncOptions {
  nc: NatsConnection;
  prefix: string;
  host: string;
  replicas: number;
  ops: MemoryOps;
  log: Logger;
  retryMs?: number;
  /** How often the watcher is checked for having fallen behind the bucket. */
  checkMs?: number;
}

export interface PatternSync {
  /** Records whose newest contribution the bucket does not hold yet. */
  pendingCount(): number;
  /** Resolves when nothing is left to copy (or after `maxMs`); true when so. */
  flushed(maxMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const isContribution = (x: unknown): x is Contribution =>
  !!x && typeof x === 'object' && typeof (x as Contribution).v === 'number';

export async function startPatternSync(o: PatternSyncOptions): Promise<PatternSync> {
  const store = o.ops.store;
  const { ledger, seeded } = await FarmLedger.join(store, o.host);
  if (seeded)
    o.log.info({ records: seeded }, 'farm patterns: joined; the records learned so far are this host’s share');
  const me = ledger.member;
  /** Records to copy to the bucket. */
  const dirty = new Set<string>();
  let inflight = 0;
  /** The version of each own contribution the bucket is known to hold. */
  const acked = new Map<string, number>();
  /** The revision of each own bucket key, when known. */
  const ownRev = new Map<string, number>();
  let lastSeen = 0;
  let bucket: Bucket | null = null;
  let watch: { stop(): void } | null = null;
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let writes: Promise<unknown> = Promise.resolve();
  const retryMs = o.retryMs ?? 1000;
  const later = (f: () => Promise<unknown>) => {
    writes = writes.then(f).catch((e: Error) => o.log.warn({ err: e.message }, 'farm patterns: local write failed'));
  };

  const listener: RecordListener = (events) => {
    for (const { key } of events) if (isMerged(key) || isHostSpecific(key)) dirty.add(key);
    kick();
  };
  o.ops.onRecorded(listener);

  const onValue = (v: KvValue): void => {
    lastSeen = Math.max(lastSeen, v.revision);
    const p = v.deleted ? null : memKeyOf(v.key);
    if (!p) return;
    if (p.member === null) {
      if (p.host !== o.host) later(() => store.set(`farm/${p.host}/${p.key}`, v.value));
      return;
    }
    const member = p.member;
    if (!isContribution(v.value) || !isMerged(p.key)) return;
    const c = v.value;
    if (member !== me) {
      if (ledger.held(p.key, member) < c.v) later(() => store.batch(ledger.remoteWrites(p.key, member, c)));
      return;
    }
    ownRev.set(v.key, Math.max(ownRev.get(v.key) ?? 0, v.revision));
    acked.set(p.key, Math.max(acked.get(p.key) ?? 0, c.v));
    // Only an older copy of this store (restored from a backup) can be behind its own bucket key.
    if ((ledger.mine(p.key)?.v ?? 0) < c.v) later(() => store.batch(ledger.adoptWrites(p.key, c)));
  };

  /** Once the watcher has delivered the bucket's values: whatever the bucket lacks is copied. */
  const onReady = (): void => {
    for (const { key, v } of ledger.mineAll()) if ((acked.get(key) ?? 0) < v) dirty.add(key);
    for (const k of HOST_SPECIFIC) if (store.get(k)) dirty.add(k);
    kick();
  };

  /** Copies one record's newest own value to its key (a whole value: repeating it is harmless). */
  const push = async (b: Bucket, key: string): Promise<void> => {
    const kk = kvKeyOf(key, o.host, ledger.me.id);
    let value: unknown;
    let v = 0;
    if (isMerged(key)) {
      const m = ledger.mine(key);
      if (!m || (acked.get(key) ?? 0) >= m.v) return;
      value = m;
      v = m.v;
    } else value = store.get(key)?.value;
    if (value === undefined) return;
    for (let tries = 0; ; tries++) {
      let rev = ownRev.get(kk);
      if (rev === undefined) {
        const cur = await b.get(kk);
        rev = cur && !cur.deleted ? cur.revision : 0;
      }
      try {
        const next = rev ? await b.update(kk, value, rev) : await b.create(kk, value);
        ownRev.set(kk, Math.max(ownRev.get(kk) ?? 0, next));
        if (v) acked.set(key, Math.max(acked.get(key) ?? 0, v));
        return;
      } catch (e) {
        // A timeout may or may not have written: the revision is read again before the next try.
        ownRev.delete(kk);
        if (!(e instanceof CasConflict) || tries >= 3) throw e;
        o.log.warn({ key: kk }, 'farm patterns: this host’s own key changed under it (another copy of this store?)');
      }
    }
  };

  /** False when there is no bucket to write to. */
  const pumpOnce = async (): Promise<boolean> => {
    const b = bucket;
    if (!b || o.nc.isClosed()) return false;
    for (const key of [...dirty]) {
      dirty.delete(key);
      inflight++;
      try {
        await push(b, key);
      } catch (e) {
        dirty.add(key);
        throw e;
      } finally {
        inflight--;
      }
    }
    return true;
  };

  function kick(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = (async () => {
      let writable = true;
      do {
        again = false;
        try {
          writable = await pumpOnce();
        } catch (e) {
          // The cluster is unreachable or lost its quorum: the records stay marked; retried.
          o.log.debug({ err: (e as Error).message, pending: dirty.size }, 'farm patterns: bucket not writable yet');
          setTimeout(kick, retryMs).unref();
          break;
        }
      } while (writable && (again || dirty.size > 0));
    })().finally(() => (pumping = null));
  }

  /** (Re)starts the watcher: it replays every key's value, then follows; replays are idempotent. */
  const rewatch = async (b: Bucket): Promise<void> => {
    watch?.stop();
    watch = await b.watch('>', onValue, onReady);
  };

  const open = async (): Promise<void> => {
    while (!stopped && !bucket) {
      try {
        const b = await openBucket(o.nc, o.prefix, 'patterns', o.replicas);
        await rewatch(b);
        bucket = b;
        o.log.info({ replicas: o.replicas, pending: dirty.size }, 'farm patterns: bucket open, watching');
        kick();
      } catch (e) {
        o.log.warn({ err: (e as Error).message }, 'farm patterns: bucket not reachable; learning goes on locally');
        await new Promise((r) => setTimeout(r, retryMs * 2));
      }
    }
  };
  void open();

  // A watcher whose consumer was lost with a node can fall silent: after a reconnect, and when it has
  // not delivered, a whole check later, the revision the bucket had at the previous check, it is
  // started again.
  let target = 0;
  const checker = setInterval(() => {
    const b = bucket;
    if (!b || stopped) return;
    b.lastRevision()
      .then(async (last) => {
        const behind = lastSeen < target;
        target = last;
        if (behind) {
          o.log.warn({ last, seen: lastSeen }, 'farm patterns: the watcher fell behind; restarting it');
          await rewatch(b);
        }
      })
      .catch(() => undefined);
    if (dirty.size) kick();
  }, o.checkMs ?? 3000);
  checker.unref();
  void (async () => {
    for await (const s of o.nc.status())
      if (s.type === 'reconnect' && bucket && !stopped) {
        await rewatch(bucket).catch(() => undefined);
        kick();
      }
  })().catch(() => undefined);

  return {
    pendingCount: () => dirty.size + inflight,
    async flushed(maxMs) {
      const end = Date.now() + maxMs;
      while (dirty.size + inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await writes;
      return dirty.size + inflight === 0;
    },
    async stop() {
      stopped = true;
      clearInterval(checker);
      o.ops.onRecorded(null);
      watch?.stop();
      await pumping?.catch(() => undefined);
      await writes.catch(() => undefined);
    },
  };
}
