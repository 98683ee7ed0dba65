// A cache directory with a size limit and least-recently-used eviction. "Used" is the later of a
// file's access and modification time: reads bump atime (relatime does so when atime <= mtime),
// and a cache hit we serve ourselves is recorded with `markUsed`. Only regular files directly in
// the dir that match the filter count.
import { lstatSync, readdirSync, realpathSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
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

export interface AccessSnapshot {
  at: number;
  files: Record<string, { size: number; atimeMs: number; mtimeMs: number }>;
}

/** Before a build: each file's size and times, what `collectAccess` compares with after it. */
export function snapshotAccess(dir: string, filter: NameFilter): AccessSnapshot {
  const files: AccessSnapshot['files'] = {};
  for (const f of listCache(dir, filter)) files[f.name] = { size: f.size, atimeMs: f.atimeMs, mtimeMs: f.mtimeMs };
  return { at: Date.now(), files };
}

export interface AccessReport {
  /**
   * Files present before and read since the snapshot: their atime moved past the one it took. A file
   * used in an earlier build keeps its atime past its mtime for good, so that alone says nothing.
   */
  hits: { name: string; size: number }[];
  /** Files that appeared since (downloaded). */
  misses: { name: string; size: number }[];
}

/** Compares `dir` with its snapshot; changes nothing in it. */
export function collectAccess(dir: string, snap: AccessSnapshot, filter: NameFilter): AccessReport {
  const report: AccessReport = { hits: [], misses: [] };
  for (const f of listCache(dir, filter)) {
    const before = snap.files[f.name];
    if (!before || before.size !== f.size || Math.abs(before.mtimeMs - f.mtimeMs) > 1) {
      report.misses.push({ name: f.name, size: f.size });
    } else if (f.atimeMs > before.atimeMs + 1) {
      report.hits.push({ name: f.name, size: f.size });
    }
  }
  return report;
}
