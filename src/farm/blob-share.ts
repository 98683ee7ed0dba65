// The farm layer of a content-addressed cache: blobs named by their sha256 in a JetStream object store
// (replicated like the rest of the farm's state), and an index from a cache's own key (a debootstrap
// spec's hash) to the blob's sha256 in a KV bucket. A blob fetched from the farm is hashed while it is
// written and kept only when the hash matches; anything else is deleted and reported as a miss.
// The root cache uses it through RootCacheFarm only, so the cache can change underneath freely.
import { createHash } from 'node:crypto';
import { createReadStream, renameSync, rmSync } from 'node:fs';
import type { NatsConnection } from '../bus/connect.js';
import { openBucket, type Bucket } from '../bus/kv.js';
import { openShelf, type BlobShelf } from '../bus/object-store.js';
import type { LearningEvent } from '../schemas/memory-ops.js';

export interface FarmFetch {
  sha256: string;
  size: number;
  /** The host that published the blob. */
  from: string;
}

/** What the farm's index holds for a cache key: the blob and what its publisher said about it. */
export interface FarmIndexEntry {
  sha256: string;
  host: string;
  at: string;
  meta?: Record<string, unknown>;
}

/** What a local content-addressed cache needs from the farm. */
export interface RootCacheFarm {
  /** The sha256 another host recorded for `cacheKey`, or null. */
  lookup(cacheKey: string): Promise<string | null>;
  /** The index entry for `cacheKey`, or null. */
  describe(cacheKey: string): Promise<FarmIndexEntry | null>;
  /** Copies blob `sha256` to `dest` (verified); null when the farm does not have it. */
  fetch(sha256: string, dest: string): Promise<FarmFetch | null>;
  /** Shares a local blob (its sha256 checked first) and records `cacheKey` → sha256 (and `meta`). */
  publish(
    cacheKey: string,
    file: string,
    sha256: string,
    meta?: Record<string, unknown>,
  ): Promise<'stored' | 'already-there'>;
}

const SHA = /^[0-9a-f]{64}$/;

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

export class BlobMismatch extends Error {
  constructor(want: string, got: string) {
    super(`farm blob ${want} arrived with sha256 ${got}: discarded`);
    this.name = 'BlobMismatch';
  }
}

export async function openRootCacheFarm(
  nc: NatsConnection,
  o: { prefix: string; host: string; replicas: number; what?: string },
): Promise<RootCacheFarm> {
  const what = o.what ?? 'roots';
  const shelf: BlobShelf = await openShelf(nc, o.prefix, what, o.replicas);
  const index: Bucket = await openBucket(nc, o.prefix, `${what}_index`, o.replicas);
  const indexKey = (k: string) => `k.${createHash('sha256').update(k).digest('hex')}`;
  const describe = async (cacheKey: string): Promise<FarmIndexEntry | null> => {
    const v = await index.get(indexKey(cacheKey));
    const e = v?.value as FarmIndexEntry | null;
    return v && !v.deleted && e && typeof e.sha256 === 'string' && SHA.test(e.sha256) ? e : null;
  };
  return {
    describe,
    async lookup(cacheKey) {
      return (await describe(cacheKey))?.sha256 ?? null;
    },
    async fetch(sha256, dest) {
      if (!SHA.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
      const tmp = `${dest}.farm-${process.pid}.part`;
      const h = createHash('sha256');
      let got: { size: number } | null;
      try {
        got = await shelf.getFile(`sha256-${sha256}`, tmp, (c) => h.update(c));
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      if (!got) return null;
      const actual = h.digest('hex');
      if (actual !== sha256) {
        rmSync(tmp, { force: true });
        throw new BlobMismatch(sha256, actual);
      }
      renameSync(tmp, dest);
      const meta = await index.get(`b.${sha256}`);
      return { sha256, size: got.size, from: String((meta?.value as { host?: string } | null)?.host ?? '?') };
    },
    async publish(cacheKey, file, sha256, meta) {
      const actual = await sha256File(file);
      if (actual !== sha256) throw new BlobMismatch(sha256, actual);
      const name = `sha256-${sha256}`;
      const there = await shelf.has(name);
      if (!there) await shelf.putFile(name, file, { host: o.host });
      const rec: FarmIndexEntry = { sha256, host: o.host, at: new Date().toISOString(), ...(meta ? { meta } : {}) };
      await index.create(`b.${sha256}`, rec).catch(() => undefined); // the first publisher is kept
      await index.create(indexKey(cacheKey), rec).catch(() => undefined);
      return there ? 'already-there' : 'stored';
    },
  };
}

/** A farm hit counted in optimization/caching-effectiveness/farm-<cache> (hits and bytes not downloaded). */
export function farmHitEvent(cache: string, f: FarmFetch): LearningEvent {
  return {
    kind: 'cache-use',
    cache: `farm-${cache}`,
    hits: 1,
    misses: 0,
    bytesSaved: f.size,
    bytesDownloaded: 0,
    evicted: 0,
    sizeBytes: 0,
    limitBytes: 0,
    tracking: 'lookup',
  };
}
