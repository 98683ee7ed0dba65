// JetStream key-value buckets, as the farm uses them: get with the revision, create, compare-and-set
// update, and a watch that replays current values then follows changes.
import type { NatsConnection } from 'nats';
import { decodeJson, encodeJson } from './codec.js';

export interface KvValue {
  key: string;
  value: unknown;
  revision: number;
  deleted: boolean;
}

export interface Bucket {
  get(key: string): Promise<KvValue | null>;
  /** Fails with CasConflict when the key exists. */
  create(key: string, value: unknown): Promise<number>;
  /** Fails with CasConflict when the key's revision is no longer `revision`. */
  update(key: string, value: unknown, revision: number): Promise<number>;
  /** The revision of the bucket's newest write (0 when empty): how far a watcher should have got. */
  lastRevision(): Promise<number>;
  /** Current values, then every change; `onReady` once the current values were delivered. */
  watch(filter: string, onValue: (v: KvValue) => void, onReady?: () => void): Promise<{ stop(): void }>;
}

export class CasConflict extends Error {
  constructor(key: string) {
    super(`${key} changed under a compare-and-set`);
    this.name = 'CasConflict';
  }
}

/** The server's answers to a create or update whose expectation failed. */
function isConflict(e: unknown): boolean {
  const m = (e as Error).message ?? '';
  return (
    /wrong last sequence|key exists/i.test(m) ||
    (e as { api_error?: { err_code?: number } }).api_error?.err_code === 10071
  );
}

function bucketName(prefix: string, what: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_${what}`.toUpperCase();
}

/** Opens (creating when missing) the bucket `<PREFIX>_<WHAT>` with `replicas` copies and no history. */
export async function openBucket(nc: NatsConnection, prefix: string, what: string, replicas: number): Promise<Bucket> {
  // Reads from the stream's leader (no direct get from a follower that may lag): a compare-and-set
  // then starts from the newest value.
  const kv = await nc.jetstream().views.kv(bucketName(prefix, what), { replicas, history: 1, allow_direct: false });
  const toValue = (e: { key: string; value: Uint8Array; revision: number; operation: string }): KvValue => ({
    key: e.key,
    value: e.operation === 'PUT' && e.value.length ? decodeJson(e.value) : null,
    revision: e.revision,
    deleted: e.operation !== 'PUT',
  });
  const cas = async <T>(key: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (isConflict(e)) throw new CasConflict(key);
      throw e;
    }
  };
  return {
    async get(key) {
      const e = await kv.get(key);
      return e ? toValue(e) : null;
    },
    create: (key, value) => cas(key, () => kv.create(key, encodeJson(value))),
    update: (key, value, revision) => cas(key, () => kv.update(key, encodeJson(value), revision)),
    async lastRevision() {
      return (await kv.status()).streamInfo.state.last_seq;
    },
    async watch(filter, onValue, onReady) {
      const it = await kv.watch({ key: filter, initializedFn: onReady });
      void (async () => {
        for await (const e of it) onValue(toValue(e));
      })().catch(() => undefined);
      return { stop: () => it.stop() };
    },
  };
}
