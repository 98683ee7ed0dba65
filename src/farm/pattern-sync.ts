// Shared patterns: every optimization/* learning event of this host goes to an outbox in the local
// LMDB (so it survives a crash and an outage), then into the farm's KV bucket by compare-and-set on
// the record's revision; a watcher writes every host's records back into this host's LMDB, which stays
// the read path (and works offline). The local value of a record is always the bucket's value with
// this host's events not yet in it applied on top (pattern-merge.ts), so nothing shows twice or not at all.
import type { NatsConnection } from '../bus/connect.js';
import { CasConflict, openBucket, type Bucket, type KvValue } from '../bus/kv.js';
import type { Logger } from '../log/logger.js';
import type { MemoryOps, RecordListener } from '../memory/operations.js';
import { appliedOf, foldPending, kvKeyOf, memKeyOf, type Pending } from './pattern-merge.js';

const OUTBOX = 'farm/outbox/';
const SEQ_KEY = 'farm/seq';
/** Events folded into one compare-and-set: a burst costs a few writes, not one per event. */
const MAX_FOLD = 500;

export interface PatternSyncOptions {
  nc: NatsConnection;
  prefix: string;
  host: string;
  replicas: number;
  ops: MemoryOps;
  log: Logger;
  retryMs?: number;
}

export interface PatternSync {
  /** Events waiting for the bucket. */
  pendingCount(): number;
  /** Resolves when the outbox is empty (or after `maxMs`); true when empty. */
  flushed(maxMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const pad = (n: number) => String(n).padStart(15, '0');
/**
 * How long events stay at hand after their compare-and-set succeeded. nats-server 2.9 can accept two
 * racing compare-and-sets of one key in a cluster (each checked against the same old revision), so a
 * value written from a stale base can replace ours. Every value says which events of each host it holds
 * (pattern-merge.ts), so a value that lost ours shows it, and they are applied again.
 */
const KEEP_SENT_MS = 60_000;

export function startPatternSync(o: PatternSyncOptions): PatternSync {
  const store = o.ops.store;
  const pending = new Map<number, Pending>();
  /** Applied to the bucket, kept until no racing write can have dropped them (seq → when). */
  const sent = new Map<number, { p: Pending; at: number; rev: number }>();
  /** The newest value the watcher delivered per record: what the cluster really holds. */
  const seen = new Map<string, KvValue>();
  for (const e of store.range(OUTBOX)) pending.set((e.value as Pending).seq, e.value as Pending);
  let seq = Math.max(Number(store.get(SEQ_KEY)?.value ?? 0), ...[...pending.keys()], 0);
  const bases = new Map<string, KvValue>();
  let bucket: Bucket | null = null;
  let watch: { stop(): void } | null = null;
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let writes: Promise<unknown> = Promise.resolve();
  const retryMs = o.retryMs ?? 1000;

  /** The record's local value: the bucket's, with this host's events not yet in it on top. */
  const refresh = (key: string): void => {
    const base = bases.get(key);
    if (!base) return;
    const mine = [...pending.values(), ...[...sent.values()].map((x) => x.p)].filter((p) => p.key === key);
    const v = foldPending(base.value, o.host, mine);
    writes = writes.then(() => store.update(key, () => v)).catch(() => undefined);
  };

  const listener: RecordListener = (events) => {
    const batch: { key: string; value: unknown }[] = [];
    for (const { key, event, at } of events) {
      const p: Pending = { seq: ++seq, key, event, at };
      pending.set(p.seq, p);
      batch.push({ key: OUTBOX + pad(p.seq), value: p });
    }
    batch.push({ key: SEQ_KEY, value: seq });
    writes = writes.then(() => store.batch(batch)).catch((e: Error) => o.log.warn({ err: e.message }, 'farm outbox'));
    for (const k of new Set(events.map((e) => e.key))) refresh(k);
    kick();
  };
  o.ops.onRecorded(listener);

  /** Events of ours the newest value of `key` lacks (a racing write from a stale base dropped them): again. */
  const recheck = (key: string): void => {
    const has = appliedOf(bases.get(key)?.value, o.host);
    let lost = 0;
    for (const [n, x] of sent)
      if (x.p.key === key && n > has) {
        sent.delete(n);
        pending.set(n, x.p);
        lost++;
      }
    if (lost) {
      o.log.warn(
        { key, events: lost },
        'farm patterns: a racing write dropped events of this host; applying them again',
      );
      kick();
    }
  };

  const onValue = (v: KvValue): void => {
    if (v.deleted) return;
    const m = memKeyOf(v.key);
    if (!m) return;
    if (m.host && m.host !== o.host) {
      writes = writes.then(() => store.set(`farm/${m.host}/${m.key}`, v.value)).catch(() => undefined);
      return;
    }
    if ((seen.get(m.key)?.revision ?? 0) < v.revision) seen.set(m.key, v);
    const known = bases.get(m.key);
    if (known && known.revision >= v.revision) return;
    bases.set(m.key, v);
    recheck(m.key);
    refresh(m.key);
  };

  /** Applies this host's pending events of one record with a compare-and-set, retried on conflict. */
  const applyKey = async (b: Bucket, key: string, items: Pending[]): Promise<void> => {
    const kk = kvKeyOf(key, o.host);
    let written = 0;
    for (;;) {
      const cur = await b.get(kk);
      const base = cur && !cur.deleted ? cur.value : undefined;
      // Events already written go in again when the base lacks them: a value must hold every event
      // of ours up to its mark, or a later mark would hide the ones a racing write dropped.
      const unsure = [...sent.values()].map((x) => x.p).filter((p) => p.key === key);
      const all = [...unsure, ...items].sort((x, y) => x.seq - y.seq);
      const next = foldPending(base, o.host, all);
      try {
        let rev = cur?.revision ?? 0;
        if (appliedOf(base, o.host) < all[all.length - 1]!.seq)
          rev = cur && !cur.deleted ? await b.update(kk, next, cur.revision) : await b.create(kk, next);
        const known = bases.get(key);
        if (!known || known.revision < rev) bases.set(key, { key: kk, value: next, revision: rev, deleted: false });
        written = rev;
        break;
      } catch (e) {
        if (!(e instanceof CasConflict)) throw e;
      }
    }
    const now = Date.now();
    for (const p of items) {
      pending.delete(p.seq);
      sent.set(p.seq, { p, at: now, rev: written });
    }
    // The watcher may have delivered a newer value than ours already, one that lacks them.
    recheck(key);
    prune();
    refresh(key);
  };

  /** Forgets events the bucket has held for a while (their outbox entries go too). */
  const prune = (): void => {
    const old = Date.now() - KEEP_SENT_MS;
    const done: string[] = [];
    for (const [n, x] of sent)
      if (
        x.at < old &&
        (seen.get(x.p.key)?.revision ?? 0) >= x.rev &&
        appliedOf(seen.get(x.p.key)?.value, o.host) >= n
      ) {
        sent.delete(n);
        done.push(OUTBOX + pad(n));
      }
    if (done.length) writes = writes.then(() => store.removeMany(done)).catch(() => undefined);
  };
  const pruner = setInterval(prune, KEEP_SENT_MS / 3);
  pruner.unref();

  /** False when there is no bucket to write to. */
  const pumpOnce = async (): Promise<boolean> => {
    const b = bucket;
    if (!b || o.nc.isClosed()) return false;
    const byKey = new Map<string, Pending[]>();
    for (const p of [...pending.values()].sort((x, y) => x.seq - y.seq)) {
      const l = byKey.get(p.key) ?? [];
      if (l.length < MAX_FOLD) l.push(p);
      byKey.set(p.key, l);
    }
    for (const [key, items] of byKey) await applyKey(b, key, items);
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
          // The cluster is unreachable or lost its quorum: the outbox keeps the events; retried.
          o.log.debug({ err: (e as Error).message, pending: pending.size }, 'farm patterns: bucket not writable yet');
          setTimeout(kick, retryMs).unref();
          break;
        }
      } while (writable && (again || pending.size > 0));
    })().finally(() => (pumping = null));
  }

  const open = async (): Promise<void> => {
    while (!stopped && !bucket) {
      try {
        const b = await openBucket(o.nc, o.prefix, 'patterns', o.replicas);
        watch = await b.watch('>', onValue);
        bucket = b;
        o.log.info({ replicas: o.replicas, pending: pending.size }, 'farm patterns: bucket open, watching');
        kick();
      } catch (e) {
        o.log.warn({ err: (e as Error).message }, 'farm patterns: bucket not reachable; learning queues locally');
        await new Promise((r) => setTimeout(r, retryMs * 2));
      }
    }
  };
  void open();
  void (async () => {
    for await (const s of o.nc.status()) if (s.type === 'reconnect') kick();
  })().catch(() => undefined);

  return {
    pendingCount: () => pending.size,
    async flushed(maxMs) {
      const end = Date.now() + maxMs;
      while (pending.size && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return pending.size === 0;
    },
    async stop() {
      stopped = true;
      clearInterval(pruner);
      o.ops.onRecorded(null);
      watch?.stop();
      await pumping?.catch(() => undefined);
      await writes.catch(() => undefined);
    },
  };
}
