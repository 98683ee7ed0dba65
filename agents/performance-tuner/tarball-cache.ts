// The debootstrap tarball cache: one `debootstrap --make-tarball` result per
// suite/arch/variant/mirror, with a size limit, LRU eviction and hit counts per build.
import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { evictLru, listCache, markUsed } from '../../src/host/cache/cache-dir.js';
import type { CacheBuildStats } from '../../src/learning/reducers.js';
import { DEBOOTSTRAP_CACHE } from './caches.js';

const isTarball = (n: string) => n.endsWith('.tgz');

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
