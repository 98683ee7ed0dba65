// The apt archive cache: a host dir mounted into the chroot's /var/cache/apt/archives as the
// read-only lower layer of an overlay, so packages downloaded once are reused by every later build
// and nothing inside can change the host's files. It has a size limit and LRU eviction, and counts
// hits per build into optimization/caching-effectiveness/<cache>, as the debootstrap tarball cache
// (tarball-cache.ts) does.
import { mkdirSync, realpathSync } from 'node:fs';
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
import { publishPending, type PublishResult } from './apt-pending.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { addCacheUse, type CacheBuildStats, type CachingEffectivenessRecord } from '../../src/learning/reducers.js';
import {
  collectAccess,
  evictLru,
  markUsed,
  snapshotAccess,
  type AccessSnapshot,
} from '../../src/host/cache/cache-dir.js';
import { addCounts, type AptCounts } from './apt-counts.js';
import { installedDebNames } from '../../src/host/cache/dpkg-status.js';
import { chrootPackagesIndex } from '../../src/host/cache/apt-index.js';

export const APT_CACHE = 'apt-archives';
export const DEBOOTSTRAP_CACHE = 'debootstrap-tarballs';
const isDeb = (n: string) => n.endsWith('.deb');

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
  /** The attach's snapshot is known (false: taken back by a restarted tuner without its file). */
  countable: boolean;
  /** Counted by a detach that could not end the session (null: none yet); the ending one adds to it. */
  counted: AptCounts | null;
  /** The run that attached (null: not said): only its detach ends the session or gets its answer. */
  runId: string | null;
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
  runId: string | null = null,
): Promise<AptSession> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  mkdirSync(privateDir, { recursive: false, mode: 0o700 });
  // The overlay reads its lower files without moving their access time (it opens them O_NOATIME),
  // so hits are what the chroot installs (detachAptCache): the snapshot says what the cache held.
  const snapshot = snapshotAccess(cacheDir, isDeb);
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
    countable: true,
    counted: null,
    runId,
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
  /** Where the harvest went: the cache, or staged while another build had it attached. */
  harvestedInto: 'cache' | 'staged';
  /** False while the overlay is still mounted (the unmount failed): a detach again ends it. */
  sessionEnded: boolean;
  /** Packages staged by earlier detaches, moved into the cache by this one (the last to let go). */
  published?: PublishResult;
  privateDirRemoved: boolean;
  privateDirError?: string;
}

/** A chroot read that throws (the chroot is gone) says nothing. */
function orNull<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

export interface DetachOptions {
  /** No other build has the cache attached: this detach harvests into it, publishes and evicts. */
  last: boolean;
  /** Where packages wait while another build has the cache as its lower layer (apt-pending.ts). */
  pendingDir: string;
  /** End the session only if its overlay is mounted nowhere any more; never unmount. */
  onlyIfGone?: boolean;
}

/**
 * After the build: unmount the overlay (only our mount), harvest complete new .debs (into the host
 * cache, or staged while another build has it attached), count hits and downloads, evict to the
 * limit (the last build only), and delete the run-private dirs through the safe deleter (it refuses
 * while anything is mounted there).
 */
export async function detachAptCache(s: AptSession, opts: DetachOptions): Promise<AptDetach> {
  s.capture?.stop();
  s.capture = null;
  sweepUpper(s.dirs, isDeb);
  const unbind = s.handle
    ? await unbindCache(s.handle, { unmount: !opts.onlyIfGone })
    : { unmounted: false, reason: 'suspended: nothing mounted' };
  // Taken away by someone else (a teardown of the chroot): nothing of ours is mounted there.
  if (unbind.unmounted || unbind.gone) s.handle = null;
  // The cache is a lower layer while any overlay on it is mounted, this build's own included (its
  // unmount failed): it changes only once none is.
  const free = opts.last && s.handle === null;
  // The archive's own sizes and sha256s, where the build left apt's indexes in the chroot.
  const harvest = await harvestDebs(
    [s.dirs.harvest, s.dirs.upper],
    s.dir,
    orNull(() => chrootPackagesIndex(s.chroot)),
    free ? s.dir : opts.pendingDir,
  );
  const access = collectAccess(s.dir, s.snapshot, isDeb);
  // Hits through the overlay: packages the build installed whose .deb the cache held before it.
  const after = orNull(() => installedDebNames(s.chroot));
  const dpkgHits = after
    ? Object.entries(s.snapshot.files)
        .filter(([n]) => after.has(n) && !s.installedBefore?.has(n))
        .map(([name, f]) => ({ name, size: f.size }))
    : [];
  // Its downloads: what is new in the cache since the attach, when it went into the cache; what it
  // harvested when that was staged, or when the attach's snapshot is not known (a session taken back
  // with no usable file), and then its hits are unknown. Added to what an earlier detach counted.
  const counted = addCounts(s.counted, {
    hits: dpkgHits,
    misses: free && s.countable ? access.misses : harvest.harvested.map((h) => ({ name: h.name, size: h.size })),
    hitsSeen: after !== null,
  });
  // Only what this chroot installed counts as its hit: a read through the overlay does not move the
  // lower file's access time (the kernel reads lower layers without it), so an atime moved by
  // something else, another build's harvest or the host, says nothing of this build.
  const { hits, misses } = counted;
  // Every hit is marked, a repeat one too: eviction goes by the newest use.
  if (free)
    for (const h of hits) {
      try {
        markUsed(s.dir, h.name);
      } catch {
        /* evicted meanwhile: nothing to mark */
      }
    }
  const tracking = s.countable && counted.hitsSeen ? 'lookup' : 'unavailable';
  const published = free ? publishPending(opts.pendingDir, s.dir) : undefined;
  // What this build used or fetched stays, and what came into the cache since its attach (with no
  // usable snapshot that would be all of it); the rest goes by last use, oldest first.
  const keep = new Set(
    [...access.hits, ...hits, ...(s.countable ? access.misses : []), ...misses, ...(published?.published ?? [])].map(
      (f) => f.name,
    ),
  );
  const ev = await evictLru(s.dir, free ? s.limitBytes : Number.POSITIVE_INFINITY, isDeb, keep);
  const sum = (l: { size: number }[]) => l.reduce((n, f) => n + f.size, 0);
  // Still mounted: a detach again ends the session and adds to what this one counted.
  if (s.handle) s.counted = counted;
  const del = s.handle ? null : await deleteTree(s.dirs.privateDir, { countBytes: false });
  return {
    unbind,
    harvest,
    harvestedInto: free ? 'cache' : 'staged',
    sessionEnded: s.handle === null,
    ...(published ? { published } : {}),
    privateDirRemoved: del?.complete ?? false,
    ...(del && !del.complete ? { privateDirError: del.refused ?? del.errors[0]?.message ?? 'incomplete' } : {}),
    ...(!del ? { privateDirError: 'kept: the overlay is still mounted' } : {}),
    stats: {
      cache: APT_CACHE,
      hits: tracking !== 'unavailable' ? hits.length : 0,
      misses: misses.length,
      bytesSaved: tracking !== 'unavailable' ? sum(hits) : 0,
      bytesDownloaded: sum(misses),
      evicted: ev.evicted.length,
      sizeBytes: ev.sizeBytes,
      limitBytes: s.limitBytes,
      tracking,
    },
  };
}

export type CachingEffectiveness = CachingEffectivenessRecord;

/** Folds one build's stats into the running record (previous value may be absent or foreign). */
export function mergeEffectiveness(prev: unknown, b: CacheBuildStats, now = new Date()): CachingEffectiveness {
  return addCacheUse(prev, b, now.toISOString());
}
