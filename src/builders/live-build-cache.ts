// live-build's own caches, counted rather than duplicated: `cache/bootstrap` (the bootstrapped
// tree, restored instead of running debootstrap) and `cache/packages.{bootstrap,chroot,binary}`
// (.debs put back into the chroot's apt archive before apt runs). A snapshot before the build and
// one after give each cache's hits (what was there and was used: for packages, a .deb whose
// package and version the chroot has installed) and misses (what the build had to fetch or make).
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CacheSnapshot {
  /** .deb file name -> size, per packages.* dir. */
  packages: Record<string, Record<string, number>>;
  /** Whether cache/bootstrap held a tree. */
  bootstrap: boolean;
  bootstrapBytes: number;
}

// A type (not an interface): it goes into the run record's loose objects as it is.
export type LiveBuildCacheUse = {
  cache: string;
  hits: number;
  misses: number;
  bytesSaved: number;
  bytesDownloaded: number;
  sizeBytes: number;
  /** How hits were told: "lookup" (checked against the chroot's dpkg status), else "unavailable". */
  tracking: 'lookup' | 'unavailable';
};

const PACKAGE_DIRS = ['packages.bootstrap', 'packages.chroot', 'packages.binary'];

function treeBytes(dir: string, budget = { n: 200_000 }): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    if (--budget.n < 0) break;
    const p = join(dir, n);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) total += treeBytes(p, budget);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

export function snapshotLiveBuildCache(dir: string): CacheSnapshot {
  const cache = join(dir, 'cache');
  const packages: CacheSnapshot['packages'] = {};
  for (const d of PACKAGE_DIRS) {
    const p = join(cache, d);
    if (!existsSync(p)) continue;
    const files: Record<string, number> = {};
    for (const n of readdirSync(p)) {
      if (!n.endsWith('.deb')) continue;
      const st = lstatSync(join(p, n), { throwIfNoEntry: false });
      if (st?.isFile()) files[n] = st.size;
    }
    packages[d] = files;
  }
  const b = join(cache, 'bootstrap');
  const bootstrap = existsSync(b) && readdirSync(b).length > 0;
  return { packages, bootstrap, bootstrapBytes: bootstrap ? treeBytes(b) : 0 };
}

/** package=version pairs installed in the chroot, from its dpkg status (empty when unreadable). */
export function installedInChroot(chroot: string): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync(join(chroot, 'var/lib/dpkg/status'), 'utf8');
  } catch {
    return out;
  }
  for (const para of text.split(/\n\n+/)) {
    const pkg = /^Package: (\S+)/m.exec(para)?.[1];
    const ver = /^Version: (\S+)/m.exec(para)?.[1];
    if (pkg && ver && /^Status: .* installed$/m.test(para)) out.add(`${pkg}=${ver}`);
  }
  return out;
}

/** A .deb file name as package=version (the epoch's colon is %3a in file names). */
function debKey(file: string): string | null {
  const m = /^([^_]+)_([^_]+)_[^_]+\.deb$/.exec(file);
  return m ? `${m[1]}=${decodeURIComponent(m[2]!)}` : null;
}

export function liveBuildCacheUse(
  before: CacheSnapshot,
  after: CacheSnapshot,
  installed: Set<string>,
): LiveBuildCacheUse[] {
  const out: LiveBuildCacheUse[] = [];
  for (const d of PACKAGE_DIRS) {
    const a = before.packages[d] ?? {};
    const b = after.packages[d];
    if (!b && !before.packages[d]) continue;
    const now = b ?? {};
    // Binary-stage packages are installed and removed again: no status to check them against.
    const check = d !== 'packages.binary' && installed.size > 0;
    const reused = Object.keys(a).filter((n) => n in now && (!check || installed.has(debKey(n) ?? '')));
    const fetched = Object.keys(now).filter((n) => !(n in a));
    out.push({
      cache: `live-build-${d.replace('.', '-')}`,
      hits: reused.length,
      misses: fetched.length,
      bytesSaved: reused.reduce((s, n) => s + (a[n] ?? 0), 0),
      bytesDownloaded: fetched.reduce((s, n) => s + (now[n] ?? 0), 0),
      sizeBytes: Object.values(now).reduce((s, v) => s + v, 0),
      tracking: check ? 'lookup' : 'unavailable',
    });
  }
  if (before.bootstrap || after.bootstrap)
    out.push({
      cache: 'live-build-bootstrap',
      hits: before.bootstrap ? 1 : 0,
      misses: before.bootstrap ? 0 : 1,
      bytesSaved: before.bootstrap ? before.bootstrapBytes : 0,
      bytesDownloaded: 0,
      sizeBytes: after.bootstrapBytes,
      tracking: 'unavailable',
    });
  return out;
}
