// The root cache's farm: on a local miss, the root another host made for the same spec key is fetched
// (through this host's coordinator, verified by sha256); a root stored here is shared. Whether to ask
// at all is read from the farm's own record, optimization/caching-effectiveness/farm-<cache> (merged
// over every host): a farm that has missed FARM_SKIP_AFTER lookups without a single hit is not asked
// again until its last lookup is REPROBE_MS old, so a farm where nobody shares roots costs nothing.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '../../src/bus/connect.js';
import { requestEndpoint } from '../../src/bus/request.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import type { RootEntry, RootSpec, RootStore } from '../../src/host/cache/root-store.js';

/** The root cache's name (root-cache.ts ROOT_CACHE; not imported, root-cache.ts imports this file). */
const ROOTS = 'debootstrap-roots';

export const FARM_SKIP_AFTER = 20;
export const REPROBE_MS = 24 * 3600_000;

export interface FarmFetchReply {
  found: boolean;
  reason: string;
  sha256: string | null;
  size: number | null;
  from: string | null;
  meta: Record<string, unknown> | null;
}

export interface RootFarm {
  /** The farm's record of this cache: ask, or skip (with the evidence). */
  worthAsking(): Promise<{ ask: boolean; reason: string; evidence: Record<string, unknown> }>;
  fetch(key: string, dest: string): Promise<FarmFetchReply>;
  publish(key: string, file: string, sha256: string, meta: Record<string, unknown>): Promise<string>;
  /** Farm hits and misses (and a skip decision) go to the memory. */
  record(events: LearningEvent[]): Promise<void>;
  warn(msg: string, err: Error): void;
}

export const farmRecordKey = (cache: string) => `optimization/caching-effectiveness/farm-${cache}`;

interface FarmRecord {
  hits?: number;
  misses?: number;
  lastBuild?: { at?: string };
  updatedAt?: string;
}

/** Ask the farm unless its record shows FARM_SKIP_AFTER or more lookups, none a hit, the last one recent. */
export function farmWorthAsking(
  rec: unknown,
  now = Date.now(),
): { ask: boolean; reason: string; evidence: Record<string, unknown> } {
  const r = (rec ?? {}) as FarmRecord;
  const hits = r.hits ?? 0;
  const misses = r.misses ?? 0;
  const last = Date.parse(r.lastBuild?.at ?? r.updatedAt ?? '') || 0;
  const evidence = { hits, misses, lastLookupAt: last ? new Date(last).toISOString() : null };
  if (hits === 0 && misses >= FARM_SKIP_AFTER && now - last < REPROBE_MS)
    return {
      ask: false,
      reason: `the farm was not asked: ${misses} lookups there, none a hit (asked again a day after the last)`,
      evidence,
    };
  return { ask: true, reason: '', evidence };
}

/** The farm lookup's outcome in farm-<cache> (a hit with the bytes not made again, or a miss). */
export function farmUseEvent(cache: string, hit: boolean, bytes: number): LearningEvent {
  return {
    kind: 'cache-use',
    cache: `farm-${cache}`,
    hits: hit ? 1 : 0,
    misses: hit ? 0 : 1,
    bytesSaved: hit ? bytes : 0,
    bytesDownloaded: 0,
    evicted: 0,
    sizeBytes: 0,
    limitBytes: 0,
    tracking: 'lookup',
  };
}

export function rootFarmClient(
  nc: NatsConnection,
  prefix: string,
  cache: string,
  memory: MemoryClient,
  warn: (msg: string, err: Error) => void,
): RootFarm {
  const ask = <T>(ep: string, payload: unknown, ms: number) =>
    requestEndpoint<T>(nc, prefix, 'coordinator', ep, payload, ms);
  return {
    async worthAsking() {
      return farmWorthAsking(await memory.get(farmRecordKey(cache)).catch(() => undefined));
    },
    // A root is tens to hundreds of MB: the copy may take a while on a busy link.
    fetch: (key, dest) => ask<FarmFetchReply>('farm-blob-fetch', { key, dest }, 30 * 60_000),
    publish: async (key, file, sha256, meta) =>
      (await ask<{ published: string }>('farm-blob-publish', { key, file, sha256, meta }, 30 * 60_000)).published,
    record: (events) => memory.record(events),
    warn,
  };
}

/** zstd or gzip, from the file's first bytes (the farm names blobs by sha256 only). */
function tarExt(file: string): string | null {
  const b = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (b.readUInt32LE(0) === 0xfd2fb528) return '.tar.zst';
  if (b[0] === 0x1f && b[1] === 0x8b) return '.tar.gz';
  return null;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * On a local miss: the farm's root for `key`, kept in the local store (a later verification before
 * unpacking re-checks its sha256). `note` says why not; `events` are the farm lookup's outcome.
 */
export async function rootFromFarm(
  farm: RootFarm,
  store: RootStore,
  key: string,
  spec: RootSpec,
): Promise<{ entry: RootEntry | null; note: string; events: LearningEvent[] }> {
  const w = await farm.worthAsking();
  if (!w.ask)
    return {
      entry: null,
      note: w.reason,
      events: [
        {
          kind: 'decision',
          key: farmRecordKey(ROOTS),
          by: 'performance-tuner',
          decision: 'the farm was not asked for a debootstrap root',
          evidence: w.evidence,
          default: 'ask the farm on every local miss',
        },
      ],
    };
  const tmp = join(store.dir, 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const dest = join(tmp, `farm-${randomBytes(6).toString('hex')}.blob`);
  let r: FarmFetchReply;
  try {
    r = await farm.fetch(key, dest);
  } catch (e) {
    farm.warn('the farm could not be asked for a root', e as Error);
    return { entry: null, note: `the farm could not be asked: ${(e as Error).message}`, events: [] };
  }
  if (!r.found || !r.sha256)
    return { entry: null, note: `the farm: ${r.reason}`, events: [farmUseEvent(ROOTS, false, 0)] };
  const ext = tarExt(dest);
  if (!ext) {
    rmSync(dest, { force: true });
    return { entry: null, note: 'the farm’s root is not a tarball', events: [farmUseEvent(ROOTS, false, 0)] };
  }
  const file = dest.replace(/\.blob$/, ext);
  renameSync(dest, file);
  const m = r.meta ?? {};
  const entry = store.put(
    key,
    spec,
    { file, sha256: r.sha256, bytes: r.size ?? 0, ms: num(m.packMs) ?? 0 },
    num(m.makeMs),
  );
  return { entry, note: r.reason, events: [farmUseEvent(ROOTS, true, entry.bytes)] };
}

/** After a root was stored here: shared with the farm, in the background (the build does not wait). */
export function shareRoot(farm: RootFarm, store: RootStore, key: string): Promise<void> {
  const e = store.entry(key);
  if (!e) return Promise.resolve();
  const meta = { object: e.object, bytes: e.bytes, makeMs: e.makeMs, packMs: e.packMs, spec: e.spec };
  return farm
    .publish(e.key, store.objectPath(e), e.sha256, meta)
    .then(() => undefined)
    .catch((err: Error) => farm.warn('the root could not be shared with the farm', err));
}
