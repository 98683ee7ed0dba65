// mksquashfs stores identical files once. A sample rarely holds both copies of a duplicate, so
// without a correction it over-predicts image size and time by the tree's duplicate share (9 % of
// a /usr/share + /usr/lib copy; 22 % of its 128 KiB..2 MiB files). For every sampled file this
// hashes the tree's files of the same size and counts its copies g: the tree's distinct bytes are
// estimated as sum(len / g) over the sample, scaled like any other sample total.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type TreeScan } from './tree-scan.js';
import { type SamplePlan } from './tree-sample.js';

export interface DedupEstimate {
  /** Estimated share of the tree's bytes that are distinct content (1 = no duplicates). */
  uniqueShare: number;
  /** Bytes the sample holds once each (what mksquashfs compresses there). */
  sampleUniqueBytes: number;
  hashedFiles: number;
  hashedBytes: number;
  /** False when the hashing budget ran out; files past it were counted as unique. */
  complete: boolean;
}

const EDGE = 64 << 10;

/** Content key: the whole file up to 128 KiB, else size plus its first and last 64 KiB. */
function contentKey(path: string, size: number, buf: Buffer): { key: string; read: number } {
  const fd = openSync(path, 'r');
  try {
    const h = createHash('md5').update(String(size));
    let read = 0;
    const part = (pos: number, len: number) => {
      const n = readSync(fd, buf, 0, len, pos);
      h.update(buf.subarray(0, n));
      read += n;
    };
    if (size <= 2 * EDGE) part(0, size);
    else {
      part(0, EDGE);
      part(size - EDGE, EDGE);
    }
    return { key: h.digest('hex'), read };
  } finally {
    closeSync(fd);
  }
}

export interface LargeCopies {
  /** Every copy of a large file but the first in read order: the sample leaves them out. */
  skip: Set<string>;
  skipBytes: number;
  hashedBytes: number;
}

/**
 * Copies among files of at least `minSize` (same size, same first and last 64 KiB), found before
 * the sample is drawn: a large file with g copies would otherwise put g times its share of blocks
 * into the sample's content (the byte count alone is corrected below), and large files are few, so
 * this costs two 64 KiB reads per file that shares its size with another.
 */
export function largeCopies(scan: TreeScan, minSize: number): LargeCopies {
  const bySize = new Map<number, string[]>();
  for (const f of scan.files) {
    if (f.size < minSize) continue;
    const l = bySize.get(f.size);
    if (l) l.push(f.rel);
    else bySize.set(f.size, [f.rel]);
  }
  const buf = Buffer.allocUnsafe(2 * EDGE);
  const skip = new Set<string>();
  let skipBytes = 0;
  let hashedBytes = 0;
  for (const [size, rels] of bySize) {
    if (rels.length < 2) continue;
    const first = new Set<string>();
    for (const rel of rels) {
      let key: string;
      try {
        const r = contentKey(join(scan.root, rel), size, buf);
        hashedBytes += r.read;
        key = r.key;
      } catch {
        continue; // unreadable: left in, counted as distinct
      }
      if (first.has(key)) {
        skip.add(rel);
        skipBytes += size;
      } else first.add(key);
    }
  }
  return { skip, skipBytes, hashedBytes };
}

export interface DedupOptions {
  /** Files the sample left out as copies (largeCopies): not counted as copies of what it holds. */
  skip?: ReadonlySet<string>;
  /** Bytes read for hashing before the estimate stops looking (default 256 MiB). */
  maxHashBytes?: number;
  /** Content keys by relative path, shared between calls on the same tree. */
  cache?: Map<string, string>;
}

export function estimateDuplicates(scan: TreeScan, plan: SamplePlan, opts: DedupOptions = {}): DedupEstimate {
  const maxHashBytes = opts.maxHashBytes ?? 256 << 20;
  const bySize = new Map<number, string[]>();
  for (const f of scan.files) {
    if (opts.skip?.has(f.rel)) continue;
    const l = bySize.get(f.size);
    if (l) l.push(f.rel);
    else bySize.set(f.size, [f.rel]);
  }
  const sizeOf = new Map(scan.files.map((f) => [f.rel, f.size]));
  const keys = opts.cache ?? new Map<string, string>();
  const buf = Buffer.allocUnsafe(2 * EDGE);
  let hashedFiles = 0;
  let hashedBytes = 0;
  let complete = true;
  const keyOf = (rel: string): string | null => {
    const known = keys.get(rel);
    if (known) return known;
    if (hashedBytes >= maxHashBytes) return null;
    try {
      const r = contentKey(join(scan.root, rel), sizeOf.get(rel) ?? 0, buf);
      hashedFiles++;
      hashedBytes += r.read;
      keys.set(rel, r.key);
      return r.key;
    } catch {
      return null; // unreadable: treated as unique
    }
  };
  let weighted = 0;
  let total = 0;
  const seen = new Set<string>();
  let sampleUnique = 0;
  for (const e of plan.entries) {
    total += e.length;
    const size = sizeOf.get(e.rel) ?? 0;
    const group = bySize.get(size) ?? [];
    let copies = 1;
    let key: string | null = null;
    if (size > 0 && group.length > 1) {
      key = keyOf(e.rel);
      if (key === null) complete = false;
      else {
        copies = 0;
        for (const other of group) {
          const k = keyOf(other);
          if (k === null) complete = false;
          if (k === key) copies++;
        }
      }
    }
    weighted += e.length / Math.max(1, copies);
    // Inside the sample mksquashfs dedups too: identical ranges of identical files count once.
    const id = key === null ? `@${e.rel}:${e.offset}` : `${key}:${e.offset}:${e.length}`;
    if (!seen.has(id)) {
      seen.add(id);
      sampleUnique += e.length;
    }
  }
  return {
    uniqueShare: total > 0 ? weighted / total : 1,
    sampleUniqueBytes: sampleUnique,
    hashedFiles,
    hashedBytes,
    complete,
  };
}
