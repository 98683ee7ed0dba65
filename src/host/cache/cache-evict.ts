// Planners for caches (least recently used first until under a size limit) and temp folders (files
// older than N seconds), and the removal of exactly the planned files, re-verified one by one.
import { lstat, unlink } from 'node:fs/promises';
import { fdPath } from '../fs/dir-fd.js';
import { walkFiles } from '../walk/tree-walk.js';
import { WithinRoot } from '../fs/within-root.js';

export interface FileCandidate {
  path: string;
  bytes: number;
  /** "dev:ino" at planning time: a file replaced since then is not removed. */
  fileId: string;
  /** Last use: atime, or mtime when atime is older (noatime/relatime mounts). */
  lastUseMs: number;
}

export interface EvictionPlan {
  dir: string;
  limitBytes: number;
  totalBytes: number;
  files: number;
  evict: FileCandidate[];
  evictBytes: number;
  afterBytes: number;
  truncated: boolean;
  skipped: { path: string; reason: string }[];
}

export interface TempPlan {
  dir: string;
  maxAgeSec: number;
  scanned: number;
  files: FileCandidate[];
  bytes: number;
  truncated: boolean;
  skipped: { path: string; reason: string }[];
}

export interface RemoveResult {
  removed: number;
  bytes: number;
  skipped: { path: string; reason: string }[];
  errors: { path: string; code: string; message: string }[];
}

const MAX_ENTRIES = 2_000_000;

/**
 * The one least-recently-used choice: oldest use first (ties by path) until the total is at most
 * `limitBytes`; files `keep` names stay and still count.
 */
export function pickLru<T extends { path: string; bytes: number; lastUseMs: number }>(
  files: readonly T[],
  limitBytes: number,
  keep: (f: T) => boolean = () => false,
): { evict: T[]; totalBytes: number; afterBytes: number } {
  const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
  const sorted = [...files].sort((a, b) => a.lastUseMs - b.lastUseMs || a.path.localeCompare(b.path));
  const evict: T[] = [];
  let after = totalBytes;
  for (const f of sorted) {
    if (after <= limitBytes) break;
    if (keep(f)) continue;
    evict.push(f);
    after -= f.bytes;
  }
  return { evict, totalBytes, afterBytes: after };
}

/** LRU eviction until the regular files under `dir` total at most `limitBytes`. */
export async function planEviction(
  dir: string,
  limitBytes: number,
  opts: { maxEntries?: number } = {},
): Promise<EvictionPlan> {
  const all: FileCandidate[] = [];
  const walk = await walkFiles(
    dir,
    (path, st) => {
      if (st.isFile())
        all.push({ path, bytes: st.size, fileId: `${st.dev}:${st.ino}`, lastUseMs: Math.max(st.atimeMs, st.mtimeMs) });
    },
    { maxEntries: opts.maxEntries ?? MAX_ENTRIES },
  );
  const { evict, totalBytes, afterBytes } = pickLru(all, limitBytes);
  return {
    dir,
    limitBytes,
    totalBytes,
    files: all.length,
    evict,
    evictBytes: totalBytes - afterBytes,
    afterBytes,
    truncated: walk.truncated,
    skipped: walk.skipped,
  };
}

/** Non-directories (sockets excepted) under `dir` not modified for `maxAgeSec` seconds (by mtime). */
export async function planTempCleanup(
  dir: string,
  maxAgeSec: number,
  opts: { nowMs?: number; maxEntries?: number } = {},
): Promise<TempPlan> {
  const cutoff = (opts.nowMs ?? Date.now()) - maxAgeSec * 1000;
  const files: FileCandidate[] = [];
  const walk = await walkFiles(
    dir,
    (path, st) => {
      // A socket may belong to a live daemon (gpg-agent): its age says nothing about its use.
      if (st.mtimeMs < cutoff && !st.isSocket())
        files.push({
          path,
          bytes: st.size,
          fileId: `${st.dev}:${st.ino}`,
          lastUseMs: Math.max(st.atimeMs, st.mtimeMs),
        });
    },
    { maxEntries: opts.maxEntries ?? MAX_ENTRIES },
  );
  files.sort((a, b) => a.lastUseMs - b.lastUseMs || a.path.localeCompare(b.path));
  return {
    dir,
    maxAgeSec,
    scanned: walk.files,
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    truncated: walk.truncated,
    skipped: walk.skipped,
  };
}

/**
 * Removes exactly the planned files under `root`: each one reached again without following links
 * or entering a mount, still the same inode, not a directory, and not used or modified since it
 * was planned (per the options).
 */
export interface RemoveOptions {
  /** Skip a file used (read or written) since it was planned: the cache case. */
  unchangedUse?: boolean;
  /** Skip a file modified at or after this time: the temp case. */
  notModifiedSinceMs?: number;
  onProgress?(removed: number, bytes: number): void;
}

export async function removePlannedFiles(
  root: string,
  files: readonly FileCandidate[],
  opts: RemoveOptions = {},
): Promise<RemoveResult> {
  const out: RemoveResult = { removed: 0, bytes: 0, skipped: [], errors: [] };
  const within = await WithinRoot.open(root);
  try {
    for (const f of files) {
      const parent = await within.parentOf(f.path);
      if (!parent.ok) {
        out.skipped.push({ path: f.path, reason: parent.reason });
        continue;
      }
      const p = fdPath(parent.fd, parent.name);
      try {
        const st = await lstat(p);
        if (st.isDirectory()) out.skipped.push({ path: f.path, reason: 'is a directory now' });
        else if (`${st.dev}:${st.ino}` !== f.fileId)
          out.skipped.push({ path: f.path, reason: 'replaced since planned' });
        else if (opts.unchangedUse && Math.max(st.atimeMs, st.mtimeMs) !== f.lastUseMs)
          out.skipped.push({ path: f.path, reason: 'used since planned' });
        else if (opts.notModifiedSinceMs !== undefined && st.mtimeMs >= opts.notModifiedSinceMs)
          out.skipped.push({ path: f.path, reason: 'modified since planned' });
        else {
          await unlink(p);
          out.removed++;
          out.bytes += st.size;
          opts.onProgress?.(out.removed, out.bytes);
        }
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT') out.skipped.push({ path: f.path, reason: 'already gone' });
        else out.errors.push({ path: f.path, code: err.code ?? 'ERROR', message: err.message });
      }
    }
  } finally {
    within.close();
  }
  return out;
}
