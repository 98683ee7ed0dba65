// The two build caches: the apt archive cache (a host dir mounted into the chroot's
// /var/cache/apt/archives as the read-only lower layer of an overlay, so packages downloaded once
// are reused by every later build and nothing inside can change the host's files) and the
// debootstrap tarball cache (a base system per suite/arch/variant/mirror). Both have a size limit
// and LRU eviction, and both count hits per build into optimization/caching-effectiveness/<cache>.
import { copyFileSync, mkdirSync, realpathSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { unbindCache, type UnbindResult } from '../../src/host/mounts/cache-bind.js';
import {
  captureUpper,
  mountOverlay,
  overlayDirs,
  sweepUpper,
  type OverlayDirs,
  type OverlayHandle,
} from '../../src/host/cache/overlay.js';
import { harvestDebs, type HarvestResult } from '../../src/host/cache/deb-harvest.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { addCacheUse, type CacheBuildStats, type CachingEffectivenessRecord } from '../../src/learning/reducers.js';
import {
  armAccessTracking,
  collectAccess,
  evictLru,
  listCache,
  markUsed,
  type AccessSnapshot,
} from '../../src/host/cache/cache-dir.js';
import { installedDebNames } from '../../src/host/cache/dpkg-status.js';
import { chrootPackagesIndex } from '../../src/host/cache/apt-index.js';

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
  chroot: string;
  dirs: OverlayDirs;
  /** The overlay while it is mounted; null while suspended (e.g. during a mksquashfs of the chroot). */
  handle: OverlayHandle | null;
  capture: { stop(): void } | null;
  snapshot: AccessSnapshot;
  /** Packages the chroot had installed at attach (null: no dpkg status yet). */
  installedBefore: Set<string> | null;
}

/**
 * Before the build: arm hit tracking on the host cache and mount it into the chroot as the lower
 * layer of an overlay whose upper layer is run-private (`privateDir`, which must not exist yet).
 */
export async function attachAptCache(
  cacheDir: string,
  chrootRoot: string,
  limitBytes: number,
  privateDir: string,
): Promise<AptSession> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  mkdirSync(privateDir, { recursive: false, mode: 0o700 });
  const snapshot = armAccessTracking(cacheDir, isDeb);
  const dirs = overlayDirs(realpathSync(cacheDir), privateDir);
  const handle = await mountOverlay(dirs, chrootRoot);
  return {
    dir: dirs.lower,
    limitBytes,
    chroot: chrootRoot,
    dirs,
    handle,
    capture: captureUpper(dirs, isDeb),
    snapshot,
    installedBefore: installedDebNames(chrootRoot),
  };
}

/** Takes the overlay out of the chroot (downloads so far are captured first); resume puts it back. */
export async function suspendAptCache(s: AptSession): Promise<UnbindResult> {
  if (!s.handle) return { unmounted: false, reason: 'already suspended' };
  s.capture?.stop();
  s.capture = null;
  sweepUpper(s.dirs, isDeb);
  const r = await unbindCache(s.handle);
  if (r.unmounted) s.handle = null;
  return r;
}

export async function resumeAptCache(s: AptSession): Promise<OverlayHandle> {
  if (s.handle) return s.handle;
  s.handle = await mountOverlay(s.dirs, s.chroot);
  s.capture = captureUpper(s.dirs, isDeb);
  return s.handle;
}

export interface AptDetach {
  unbind: UnbindResult;
  stats: CacheBuildStats;
  harvest: HarvestResult;
  privateDirRemoved: boolean;
  privateDirError?: string;
}

/**
 * After the build: unmount the overlay (only our mount), harvest complete new .debs into the host
 * cache, count hits and downloads, evict to the limit (unless `opts.evict` is false), and delete the run-private dirs through the
 * safe deleter (it refuses while anything is mounted there).
 */
export async function detachAptCache(s: AptSession, opts: { evict: boolean } = { evict: true }): Promise<AptDetach> {
  s.capture?.stop();
  s.capture = null;
  sweepUpper(s.dirs, isDeb);
  const unbind = s.handle ? await unbindCache(s.handle) : { unmounted: false, reason: 'suspended: nothing mounted' };
  if (unbind.unmounted) s.handle = null;
  // The archive's own sizes and sha256s, where the build left apt's indexes in the chroot.
  const harvest = await harvestDebs([s.dirs.harvest, s.dirs.upper], s.dir, chrootPackagesIndex(s.chroot));
  const access = collectAccess(s.dir, s.snapshot, isDeb);
  // Hits through the overlay: packages the build installed whose .deb the cache held before it.
  const after = installedDebNames(s.chroot);
  const dpkgHits = after
    ? Object.entries(s.snapshot.files)
        .filter(([n]) => after.has(n) && !s.installedBefore?.has(n))
        .map(([name, f]) => ({ name, size: f.size }))
    : [];
  for (const h of dpkgHits)
    if (!access.hits.some((a) => a.name === h.name)) {
      access.hits.push(h);
      markUsed(s.dir, h.name);
    }
  const tracking = after ? 'lookup' : access.tracking;
  // What this build used or fetched stays; older packages go first.
  const keep = new Set([...access.hits, ...access.misses].map((f) => f.name));
  // Not while another build has the cache attached: it is that build's overlay's lower layer. The
  // last build to let go evicts.
  // Nor while this build's overlay is still mounted (the unmount failed): the session stays.
  const evict = opts.evict && s.handle === null;
  const ev = await evictLru(s.dir, evict ? s.limitBytes : Number.POSITIVE_INFINITY, isDeb, keep);
  const sum = (l: { size: number }[]) => l.reduce((n, f) => n + f.size, 0);
  const del = s.handle ? null : await deleteTree(s.dirs.privateDir, { countBytes: false });
  return {
    unbind,
    harvest,
    privateDirRemoved: del?.complete ?? false,
    ...(del && !del.complete ? { privateDirError: del.refused ?? del.errors[0]?.message ?? 'incomplete' } : {}),
    ...(!del ? { privateDirError: 'kept: the overlay is still mounted' } : {}),
    stats: {
      cache: APT_CACHE,
      hits: tracking !== 'unavailable' ? access.hits.length : 0,
      misses: access.misses.length,
      bytesSaved: tracking !== 'unavailable' ? sum(access.hits) : 0,
      bytesDownloaded: sum(access.misses),
      evicted: ev.evicted.length,
      sizeBytes: ev.sizeBytes,
      limitBytes: s.limitBytes,
      tracking,
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
      cache: DEBOOTSTRAP_CACHE,
      hits: this.hits,
      misses: this.misses,
      bytesSaved: this.bytesSaved,
      bytesDownloaded: this.bytesStored,
      evicted: this.evicted,
      sizeBytes: size,
      limitBytes: this.limitBytes,
      tracking: 'lookup',
    };
  }
}

export type CachingEffectiveness = CachingEffectivenessRecord;

/** Folds one build's stats into the running record (previous value may be absent or foreign). */
export function mergeEffectiveness(prev: unknown, b: CacheBuildStats, now = new Date()): CachingEffectiveness {
  return addCacheUse(prev, b, now.toISOString());
}
