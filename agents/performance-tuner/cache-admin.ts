// Over 250 lines on purpose: ls, why and prune read the same listings and limits of every cache.
// `isoswarm cache ls|why|prune` in the tuner, which owns the caches: what each holds against the
// limit its caching-effectiveness record decides; why a root lookup hit or missed (the spec fields
// that differed); and a prune that is a plan first (`--dry-run` shows it), then journalled and applied
// the way the Cleaner removes planned files (reached again, same inode, not used since planning).
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listCache, type NameFilter } from '../../src/host/cache/cache-dir.js';
import { pickLru, removePlannedFiles, type FileCandidate } from '../../src/host/cache/cache-evict.js';
import { RootStore, isRootObject, type RootEntry, type RootLookup } from '../../src/host/cache/root-store.js';
import { pathComponents } from '../../src/host/fs/paths.js';
import { openJournal } from '../../src/host/guard/journal.js';
import type { LimitDecision } from '../../src/learning/cache-limit.js';
import type { Config } from '../../src/schemas/config.js';
import { BusError } from '../../src/schemas/bus-error.js';
import { cacheLimit, CACHE_NAMES, type CacheName } from './cache-limits.js';

export interface AdminDeps {
  config: Config;
  stateDir: string;
  memory: { get(key: string): Promise<unknown> };
  /** Why a cache may not be pruned now (e.g. mounted into a build), or null. */
  busy(cache: CacheName): string | null;
}

const FILTERS: Record<CacheName, NameFilter> = {
  'apt-archives': (n) => n.endsWith('.deb'),
  'debootstrap-roots': isRootObject,
  'debootstrap-tarballs': (n) => n.endsWith('.tgz'),
};

export function cacheDir(d: AdminDeps, cache: CacheName): string {
  const c = d.config.caches;
  if (cache === 'apt-archives') return c.aptDir ?? join(d.stateDir, 'cache', cache);
  if (cache === 'debootstrap-tarballs') return c.debootstrapDir ?? join(d.stateDir, 'cache', cache);
  return c.rootDir ?? join(d.stateDir, 'cache', cache);
}

/** Where a cache's evictable files are: the roots live in objects/ below their dir. */
const fileDir = (d: AdminDeps, cache: CacheName) =>
  cache === 'debootstrap-roots' ? join(cacheDir(d, cache), 'objects') : cacheDir(d, cache);

export interface CacheListing {
  cache: CacheName;
  dir: string;
  entries: number;
  sizeBytes: number;
  limit: LimitDecision;
  record: {
    builds: number;
    hits: number;
    misses: number;
    hitRate: number;
    bytesSaved: number;
    updatedAt: string;
  } | null;
}

export async function listCaches(d: AdminDeps): Promise<CacheListing[]> {
  const out: CacheListing[] = [];
  for (const cache of CACHE_NAMES) {
    const files = listCache(fileDir(d, cache), FILTERS[cache]);
    const sizeBytes = files.reduce((n, f) => n + f.size, 0);
    const rec = (await d.memory.get(`optimization/caching-effectiveness/${cache}`).catch(() => undefined)) as
      Record<string, unknown> | undefined;
    const n = (k: string) => (typeof rec?.[k] === 'number' ? (rec[k] as number) : 0);
    out.push({
      cache,
      dir: cacheDir(d, cache),
      entries: files.length,
      sizeBytes,
      limit: await cacheLimit(d.config, cache, sizeBytes, cacheDir(d, cache), d.memory),
      record:
        rec && typeof rec === 'object'
          ? {
              builds: n('builds'),
              hits: n('hits'),
              misses: n('misses'),
              hitRate: n('hitRate'),
              bytesSaved: n('bytesSaved'),
              updatedAt: String(rec.updatedAt ?? ''),
            }
          : null,
    });
  }
  return out;
}

export interface WhyAnswer {
  subject: string;
  found: 'root-key' | 'root-object' | 'target' | 'cache-file';
  cache: CacheName;
  entry: RootEntry | null;
  lookups: RootLookup[];
  explanation: string[];
}

const short = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[0-9a-f]{40,}$/.test(s) ? `${s.slice(0, 12)}…` : s;
};

function explain(l: RootLookup): string[] {
  const lines = [`${l.at}: debootstrap into ${l.target}: ${l.outcome} (key ${l.key})`, `  ${l.reason}`];
  for (const f of l.nearest?.differs ?? [])
    lines.push(`  ${f.field}: stored ${short(f.stored)}, asked ${short(f.now)}`);
  return lines;
}

/** A root key (or a unique prefix of one), a root tarball, a debootstrap target, or a cache file. */
export function whyCache(d: AdminDeps, subject: string): WhyAnswer {
  const store = new RootStore(cacheDir(d, 'debootstrap-roots'));
  if (/^[0-9a-f]{8,64}$/.test(subject)) {
    const keys = [...new Set([...store.entries().map((e) => e.key), ...store.lookups().map((l) => l.key)])];
    const match = keys.filter((k) => k.startsWith(subject));
    if (match.length > 1) throw new BusError('bad-request', `${subject} matches ${match.length} keys: give more of it`);
    if (match.length === 1) {
      const key = match[0]!;
      const entry = store.entry(key);
      const last = store.lookup(key);
      const explanation = last ? explain(last) : [];
      if (entry)
        explanation.push(
          `stored: ${entry.object} (${entry.bytes} bytes) since ${entry.createdAt}; the real debootstrap took ${entry.makeMs ?? '?'} ms`,
        );
      else explanation.push('nothing is stored under this key now');
      return {
        subject,
        found: 'root-key',
        cache: 'debootstrap-roots',
        entry,
        lookups: last ? [last] : [],
        explanation,
      };
    }
  }
  const path = resolve(subject);
  const real = existsSync(path) ? realpathSync(path) : path;
  const byObject = store.entries().filter((e) => store.objectPath(e) === real);
  if (byObject.length)
    return {
      subject,
      found: 'root-object',
      cache: 'debootstrap-roots',
      entry: byObject[0]!,
      lookups: byObject.map((e) => store.lookup(e.key)).filter((l): l is RootLookup => !!l),
      explanation: byObject.map(
        (e) =>
          `the root of key ${e.key} (${e.spec.suite} ${e.spec.arch} ${e.spec.variant ?? ''}), stored ${e.createdAt}`,
      ),
    };
  const byTarget = store
    .lookups()
    .filter((l) => l.target === path || l.target === real)
    .sort((a, b) => b.at.localeCompare(a.at));
  if (byTarget.length)
    return {
      subject,
      found: 'target',
      cache: 'debootstrap-roots',
      entry: store.entry(byTarget[0]!.key),
      lookups: byTarget,
      explanation: byTarget.flatMap(explain),
    };
  for (const cache of CACHE_NAMES) {
    const dir = fileDir(d, cache);
    const f = listCache(dir, FILTERS[cache]).find((x) => join(dir, x.name) === real);
    if (f)
      return {
        subject,
        found: 'cache-file',
        cache,
        entry: null,
        lookups: [],
        explanation: [
          `${f.name}: ${f.size} bytes in the ${cache} cache, last used ${new Date(f.lastUsedMs).toISOString()}`,
        ],
      };
  }
  throw new BusError('not-found', `${subject} is no cache key, cache file or debootstrap target this host has seen`);
}

export interface PrunePlan {
  cache: CacheName;
  dir: string;
  limitBytes: number;
  reason: string;
  sizeBytes: number;
  evict: { name: string; bytes: number; lastUsed: string }[];
  evictBytes: number;
  afterBytes: number;
  refused: string | null;
}

export interface PruneResult {
  dryRun: boolean;
  plans: PrunePlan[];
  removed: { cache: CacheName; names: string[]; bytes: number; skipped: { path: string; reason: string }[] }[];
  journal: string | null;
}

export async function prune(
  d: AdminDeps,
  opts: { cache: CacheName | null; toBytes: number | null; dryRun: boolean },
): Promise<PruneResult> {
  const out: PruneResult = { dryRun: opts.dryRun, plans: [], removed: [], journal: null };
  const chosen: CacheName[] = opts.cache ? [opts.cache] : [...CACHE_NAMES];
  const candidates = new Map<CacheName, FileCandidate[]>();
  for (const cache of chosen) {
    const dir = fileDir(d, cache);
    const files = listCache(dir, FILTERS[cache]).map((f) => ({
      path: join(dir, f.name),
      bytes: f.size,
      fileId: f.fileId,
      lastUseMs: f.lastUsedMs,
    }));
    const sizeBytes = files.reduce((n, f) => n + f.bytes, 0);
    const decision = await cacheLimit(d.config, cache, sizeBytes, cacheDir(d, cache), d.memory);
    const limitBytes = opts.toBytes ?? decision.limitBytes;
    const pick = pickLru(files, limitBytes);
    const comps = pathComponents(existsSync(dir) ? realpathSync(dir) : dir);
    const refused = comps && comps.length < 2 ? `${dir} is a top-level directory` : d.busy(cache);
    out.plans.push({
      cache,
      dir,
      limitBytes,
      reason: opts.toBytes !== null ? 'the limit given on the command line' : `${decision.change}: ${decision.reason}`,
      sizeBytes,
      evict: pick.evict.map((f) => ({
        name: f.path.slice(dir.length + 1),
        bytes: f.bytes,
        lastUsed: new Date(f.lastUseMs).toISOString(),
      })),
      evictBytes: sizeBytes - pick.afterBytes,
      afterBytes: refused ? sizeBytes : pick.afterBytes,
      refused,
    });
    if (!refused) candidates.set(cache, pick.evict);
  }
  if (opts.dryRun || ![...candidates.values()].some((c) => c.length)) return out;
  const journalDir = join(d.stateDir, 'journal', 'cache-prune');
  const j = await openJournal(journalDir, join(d.stateDir, 'cache'));
  out.journal = j.file;
  try {
    for (const [cache, evict] of candidates) {
      if (!evict.length) continue;
      const step = { id: `prune:${cache}:${Date.now()}`, files: evict.map((f) => f.path) };
      await j.begin(step);
      let names: string[];
      let bytes: number;
      let skipped: { path: string; reason: string }[];
      if (cache === 'debootstrap-roots') {
        const store = new RootStore(cacheDir(d, cache));
        const r = await store.remove({
          objects: evict,
          keys: store.keyFilesFor(evict.map((f) => f.path.slice(fileDir(d, cache).length + 1))),
        });
        ({ removed: names, bytes, skipped } = r);
      } else {
        const r = await removePlannedFiles(fileDir(d, cache), evict, { unchangedUse: true });
        skipped = [...r.skipped, ...r.errors.map((e) => ({ path: e.path, reason: e.message }))];
        const stayed = new Set(skipped.map((s) => s.path));
        names = evict.filter((f) => !stayed.has(f.path)).map((f) => f.path.slice(fileDir(d, cache).length + 1));
        bytes = r.bytes;
      }
      await j.done(step, { removed: names.length, bytes, skipped: skipped.length });
      out.removed.push({ cache, names, bytes, skipped });
    }
    await j.finish();
  } catch (e) {
    await j.close();
    throw e;
  }
  return out;
}
