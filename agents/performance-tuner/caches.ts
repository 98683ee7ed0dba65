// The two build caches: the apt archive cache (a host dir bind-mounted into the chroot's
// /var/cache/apt/archives, so packages downloaded once are reused by every later build) and the
// debootstrap tarball cache (a base system per suite/arch/variant/mirror). Both have a size limit
// and LRU eviction, and both count hits per build into optimization/caching-effectiveness/<cache>.
import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { bindCache, unbindCache, type BindHandle, type UnbindResult } from '../../src/host/mounts/cache-bind.js';
import { addCacheUse, type CacheBuildStats, type CachingEffectivenessRecord } from '../../src/learning/reducers.js';
import { armAccessTracking, collectAccess, evictLru, listCache, markUsed, type AccessSnapshot } from '../../src/host/cache/cache-dir.js';

export const APT_CACHE = 'apt-archives';
export const DEBOOTSTRAP_CACHE = 'debootstrap-tarballs';
const isDeb = (n: string) => n.endsWith('.deb');
const isTarball = (n: string) => n.endsWith('.tgz');

export function cachingKey(cache: string): string {
  return `optimization/caching-effectiveness/${cache}`;
}

export type { CacheBuildStats } from '../../src/learning/reducers.js';

export interface AptSession {
  dir: string;
  limitBytes: number;
  handle: BindHandle;
  snapshot: AccessSnapshot;
}

/** Before the build: arm hit tracking on the cache and bind it into the chroot. */
export async function attachAptCache(cacheDir: string, chrootRoot: string, limitBytes: number): Promise<AptSession> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  const snapshot = armAccessTracking(cacheDir, isDeb);
  const handle = await bindCache(cacheDir, chrootRoot);
  return { dir: handle.source, limitBytes, handle, snapshot };
}

/** After the build: unbind (only our mount), count hits and downloads, evict down to the limit. */
export async function detachAptCache(s: AptSession): Promise<{ unbind: UnbindResult; stats: CacheBuildStats }> {
  const unbind = await unbindCache(s.handle);
  const access = collectAccess(s.dir, s.snapshot, isDeb);
  // What this build used or fetched stays; older packages go first.
  const keep = new Set([...access.hits, ...access.misses].map((f) => f.name));
  const ev = await evictLru(s.dir, s.limitBytes, isDeb, keep);
  const sum = (l: { size: number }[]) => l.reduce((n, f) => n + f.size, 0);
  return {
    unbind,
    stats: {
      cache: APT_CACHE,
      hits: access.tracking === 'atime' ? access.hits.length : 0,
      misses: access.misses.length,
      bytesSaved: access.tracking === 'atime' ? sum(access.hits) : 0,
      bytesDownloaded: sum(access.misses),
      evicted: ev.evicted.length,
      sizeBytes: ev.sizeBytes,
      limitBytes: s.limitBytes,
      tracking: access.tracking,
    },
  };
}

export interface TarballSpec {
  suite: string;
  arch: string;
  variant?: string;
  mirror: string;
  include?: string[];
}

/** Cache of `debootstrap --make-tarball` results, one per spec. */
export class TarballCache {
  hits = 0;
  misses = 0;
  bytesSaved = 0;
  bytesStored = 0;
  evicted = 0;

  constructor(
    readonly dir: string,
    readonly limitBytes: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  name(spec: TarballSpec): string {
    const canon = JSON.stringify({ ...spec, variant: spec.variant ?? '', include: [...(spec.include ?? [])].sort() });
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
    return `${safe(spec.suite)}-${safe(spec.arch)}-${createHash('sha256').update(canon).digest('hex').slice(0, 12)}.tgz`;
  }

  /** The cached tarball for `spec` (marked used), or null (a miss: build it, then `store`). */
  lookup(spec: TarballSpec): string | null {
    const name = this.name(spec);
    const hit = listCache(this.dir, (n) => n === name)[0];
    if (!hit) {
      this.misses++;
      return null;
    }
    markUsed(this.dir, name);
    this.hits++;
    this.bytesSaved += hit.size;
    return join(this.dir, name);
  }

  /** Adds a tarball made for `spec` (moved when on the same file system), then evicts to the limit. */
  async store(spec: TarballSpec, tarball: string): Promise<string> {
    const name = this.name(spec);
    const dest = join(this.dir, name);
    const tmp = `${dest}.part`;
    if (statSync(tarball).dev === statSync(this.dir).dev) renameSync(tarball, tmp);
    else copyFileSync(tarball, tmp);
    renameSync(tmp, dest);
    markUsed(this.dir, name);
    this.bytesStored += statSync(dest).size;
    this.evicted += (await evictLru(this.dir, this.limitBytes, isTarball, new Set([name]))).evicted.length;
    return dest;
  }

  stats(): CacheBuildStats {
    const size = listCache(this.dir, isTarball).reduce((n, f) => n + f.size, 0);
    return {
      cache: DEBOOTSTRAP_CACHE, hits: this.hits, misses: this.misses, bytesSaved: this.bytesSaved, bytesDownloaded: this.bytesStored,
      evicted: this.evicted, sizeBytes: size, limitBytes: this.limitBytes, tracking: 'lookup',
    };
  }
}

export type CachingEffectiveness = CachingEffectivenessRecord;

/** Folds one build's stats into the running record (previous value may be absent or foreign). */
export function mergeEffectiveness(prev: unknown, b: CacheBuildStats, now = new Date()): CachingEffectiveness {
  return addCacheUse(prev, b, now.toISOString());
}
