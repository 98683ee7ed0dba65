// A cache directory with a size limit and least-recently-used eviction. "Used" is the later of a
// file's access and modification time: reads inside a chroot bump atime (relatime does so when
// atime <= mtime, which `armAccessTracking` arranges), and a cache hit we serve ourselves is
// recorded with `markUsed`. Only regular files directly in the dir that match the filter count.
import { lstatSync, readFileSync, readdirSync, realpathSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo } from '../mounts/mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';
import { pickLru, removePlannedFiles } from './cache-evict.js';

export interface CacheFile {
  name: string;
  size: number;
  atimeMs: number;
  mtimeMs: number;
  lastUsedMs: number;
  /** "dev:ino" when listed: eviction removes a file only while it is still this one. */
  fileId: string;
}

export type NameFilter = (name: string) => boolean;

export function listCache(dir: string, filter: NameFilter = () => true): CacheFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: CacheFile[] = [];
  for (const name of names) {
    if (!filter(name)) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (!st.isFile()) continue;
      out.push({
        name,
        size: st.size,
        atimeMs: st.atimeMs,
        mtimeMs: st.mtimeMs,
        lastUsedMs: Math.max(st.atimeMs, st.mtimeMs),
        fileId: `${st.dev}:${st.ino}`,
      });
    } catch {
      /* vanished while listing */
    }
  }
  return out;
}

/** Records a use without touching the content or its modification time. */
export function markUsed(dir: string, name: string, at = new Date()): void {
  const st = lstatSync(join(dir, name));
  utimesSync(join(dir, name), at, st.mtime);
}

export interface EvictResult {
  evicted: { name: string; size: number }[];
  freedBytes: number;
  sizeBytes: number;
}

/**
 * Removes least recently used files until the total is at most `limitBytes` (files in `keep` stay):
 * the one LRU choice (pickLru), removed the way the Cleaner removes planned files (reached again
 * through directory fds, still the same inode).
 */
export async function evictLru(
  dir: string,
  limitBytes: number,
  filter: NameFilter = () => true,
  keep: ReadonlySet<string> = new Set(),
): Promise<EvictResult> {
  const root = realpathSync(dir);
  const files = listCache(root, filter).map((f) => ({
    name: f.name,
    path: join(root, f.name),
    bytes: f.size,
    lastUseMs: f.lastUsedMs,
    fileId: f.fileId,
  }));
  const pick = pickLru(files, limitBytes, (f) => keep.has(f.name));
  const removed = await removePlannedFiles(root, pick.evict);
  const stayed = new Set([...removed.skipped.map((s) => s.path), ...removed.errors.map((e) => e.path)]);
  const evicted = pick.evict.filter((f) => !stayed.has(f.path)).map((f) => ({ name: f.name, size: f.bytes }));
  const freedBytes = evicted.reduce((n, e) => n + e.size, 0);
  return { evicted, freedBytes, sizeBytes: pick.totalBytes - freedBytes };
}

/** False when the mount holding `path` is noatime (reads there never move atime). */
export function atimeTracked(path: string): boolean {
  const real = realpathSync(path);
  let best: { mountPoint: string; options: string } | undefined;
  for (const m of parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))) {
    if (isAtOrUnder(real, m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return !!best && !best.options.split(',').includes('noatime');
}

export interface AccessSnapshot {
  at: number;
  files: Record<string, { size: number; atimeMs: number; mtimeMs: number }>;
  /** True when every file's atime was set to its mtime, so the next read will move it. */
  armed: boolean;
}

/**
 * Before a build: remembers each file's times and sets atime = mtime so that, under relatime, the
 * first read during the build updates atime (a read is then visible as atime > mtime). `arm: false`
 * only remembers (another build reads the same files: atimes would not tell whose read it was).
 */
export function armAccessTracking(dir: string, filter: NameFilter, arm = true): AccessSnapshot {
  const files: AccessSnapshot['files'] = {};
  let armed = arm;
  for (const f of listCache(dir, filter)) {
    const p = join(dir, f.name);
    const mtime = new Date(f.mtimeMs);
    if (arm) utimesSync(p, mtime, mtime);
    // Times go through a float of seconds: read back what the file now holds.
    const st = lstatSync(p);
    if (st.atimeMs > st.mtimeMs) armed = false;
    files[f.name] = { size: f.size, atimeMs: f.atimeMs, mtimeMs: st.mtimeMs };
  }
  return { at: Date.now(), files, armed: armed && atimeTracked(dir) };
}

export interface AccessReport {
  /** Files present before and read during the build. */
  hits: { name: string; size: number }[];
  /** Files that appeared during the build (downloaded). */
  misses: { name: string; size: number }[];
  /** Present before, not read: their previous access time is restored so LRU order is kept. */
  unused: string[];
  tracking: 'atime' | 'unavailable';
}

/** `restore: false` changes nothing in `dir` (another build's overlay has it as its lower layer). */
export function collectAccess(dir: string, snap: AccessSnapshot, filter: NameFilter, restore = true): AccessReport {
  const report: AccessReport = { hits: [], misses: [], unused: [], tracking: snap.armed ? 'atime' : 'unavailable' };
  for (const f of listCache(dir, filter)) {
    const before = snap.files[f.name];
    if (!before || before.size !== f.size || Math.abs(before.mtimeMs - f.mtimeMs) > 1) {
      report.misses.push({ name: f.name, size: f.size });
    } else if (f.atimeMs > f.mtimeMs) {
      report.hits.push({ name: f.name, size: f.size });
    } else {
      report.unused.push(f.name);
      if (restore) utimesSync(join(dir, f.name), new Date(before.atimeMs), new Date(f.mtimeMs));
    }
  }
  return report;
}
