// A bounded, representative sample of a real tree, materialized in a scratch dir so that real
// mksquashfs runs can measure it. Deterministic per seed; every part of the tree gives the same
// fraction of its bytes, so predictions scale by one ratio. Three size bands, because mksquashfs
// treats them differently:
//  - small files (< 128 KiB) share fragment blocks with their neighbours in read order, and
//    similar neighbours compress together: they are sampled in runs of neighbours (picking them
//    one by one predicted images 27 % too large on a copy of /usr/share and /usr/lib);
//  - block-sized files (128 KiB .. 2 MiB) are compressed block by block on their own: a systematic
//    share of them gives one-block slices (many files, little bytes: 14 whole files of a few
//    hundred KiB swung the predicted ratio by 70 %), stratified by extension and size class;
//  - large files contribute a contiguous slice of the same fraction (at least one xz-1M block),
//    so one huge file neither dominates the sample nor goes missing.
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type TreeScan, type ScannedFile } from './tree-scan.js';

export interface SampleLimits {
  /** Target share of the tree's bytes (default 0.03). */
  fraction: number;
  /** Floor: below this, fixed per-run costs swamp the measurement (default 4 MiB). */
  minBytes: number;
  /** Ceiling that keeps sampling cheap on big trees (default 10 MiB: xz and xz -Xbcj run on it too). */
  maxBytes: number;
  seed: string;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = {
  fraction: 0.02,
  minBytes: 4 << 20,
  maxBytes: 10 << 20,
  seed: 'isoswarm',
};

/** Smallest slice taken from a large file: one 1 MiB block, so xz -b 1M sees whole blocks. */
const MIN_SLICE = 1 << 20;
/** Files below one default block are packed, in read order, into shared fragment blocks. */
const FRAGMENT_MAX = 128 << 10;
/** Block-sized files give slices of one default block. */
const BLOCK_SLICE = 128 << 10;
/** Neighbouring small files are sampled in runs of about this many bytes. */
const RUN_BYTES = 256 << 10;
const ALIGN = 4096;

export interface SampleEntry {
  rel: string;
  /** Byte range taken: the whole file when offset 0 and length = size. */
  offset: number;
  length: number;
  whole: boolean;
}

export interface SamplePlan {
  fraction: number;
  entries: SampleEntry[];
  bytes: number;
  tree: { files: number; bytes: number };
}

/** FNV-1a: a fast, stable per-file priority from the seed. */
function priority(seed: string, rel: string): number {
  let h = 0x811c9dc5;
  const s = `${seed}\0${rel}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function sizeClass(size: number): number {
  // Factor-4 buckets: <1K, <4K, <16K, ... so small and large files are sampled separately.
  let c = 0;
  for (let s = size >> 10; s > 0; s >>= 2) c++;
  return c;
}

/** The fraction of bytes a sample of a tree this size takes under `limits`. */
export function sampleFraction(treeBytes: number, limits: SampleLimits = DEFAULT_SAMPLE_LIMITS): number {
  if (treeBytes <= 0) return 1;
  const want = Math.min(limits.maxBytes, Math.max(limits.minBytes, limits.fraction * treeBytes));
  return Math.min(1, want / treeBytes);
}

/** Pure: which files (and slices) a sample takes. */
export function planSample(scan: TreeScan, fraction: number, seed = DEFAULT_SAMPLE_LIMITS.seed): SamplePlan {
  const tree = { files: scan.files.length, bytes: scan.totalBytes };
  if (fraction >= 1) {
    const entries = scan.files.map((f) => ({ rel: f.rel, offset: 0, length: f.size, whole: true }));
    return { fraction: 1, entries, bytes: scan.totalBytes, tree };
  }
  const entries: SampleEntry[] = [];
  let bytes = 0;
  const take = (f: ScannedFile) => {
    entries.push({ rel: f.rel, offset: 0, length: f.size, whole: true });
    bytes += f.size;
  };
  const big: ScannedFile[] = [];
  const blocks: ScannedFile[] = [];
  // Fragment-sized files, in read order, cut into runs of neighbours; every run is taken with the
  // same probability (systematically, from a seeded start), so neighbours stay neighbours.
  let acc = (priority(seed, '') % 1000) / 1000;
  let run: ScannedFile[] = [];
  let runBytes = 0;
  const closeRun = () => {
    if (run.length === 0) return;
    acc += fraction;
    if (acc >= 1) {
      acc -= 1;
      run.forEach(take);
    }
    run = [];
    runBytes = 0;
  };
  for (const f of scan.files) {
    if (f.size >= 2 * MIN_SLICE) big.push(f);
    else if (f.size >= FRAGMENT_MAX) blocks.push(f);
    else {
      run.push(f);
      runBytes += f.size;
      if (runBytes >= RUN_BYTES || run.length >= 512) closeRun();
    }
  }
  closeRun();
  // Larger files: a slice of one block from a systematic share of block-sized files, and the
  // fraction itself (at least one 1 MiB block) from large ones. Walking them sorted by extension,
  // then size class, then read order makes the systematic selection stratified by all three.
  const order = new Map(scan.files.map((f, i) => [f.rel, i]));
  const byKind = (a: ScannedFile, b: ScannedFile) =>
    (a.ext < b.ext ? -1 : a.ext > b.ext ? 1 : 0) ||
    sizeClass(a.size) - sizeClass(b.size) ||
    (order.get(a.rel) ?? 0) - (order.get(b.rel) ?? 0);
  for (const [list, unit] of [
    [blocks.sort(byKind), BLOCK_SLICE],
    [big.sort(byKind), MIN_SLICE],
  ] as const) {
    let credit = ((priority(seed, `${unit}`) % 1000) / 1000) * unit;
    for (const f of list) {
      const want = fraction * f.size;
      let len = 0;
      if (want >= unit) len = Math.floor(want / ALIGN) * ALIGN;
      else {
        credit += want;
        if (credit >= unit) {
          len = unit;
          credit -= unit;
        }
      }
      if (len === 0) continue;
      const room = Math.floor((f.size - len) / unit);
      const offset = room > 0 ? (priority(`${seed}@`, f.rel) % (room + 1)) * unit : 0;
      entries.push({ rel: f.rel, offset, length: len, whole: len === f.size });
      bytes += len;
    }
  }
  return { fraction, entries, bytes, tree };
}

export interface MaterializedSample extends SamplePlan {
  dir: string;
  linked: number;
  copied: number;
}

function copyRange(src: string, dst: string, offset: number, length: number): void {
  const buf = Buffer.allocUnsafe(Math.min(length, 4 << 20));
  const fin = openSync(src, 'r');
  const fout = openSync(dst, 'wx', 0o644);
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fin, buf, 0, Math.min(buf.length, length - done), offset + done);
      if (n <= 0) break;
      writeSync(fout, buf, 0, n);
      done += n;
    }
  } finally {
    closeSync(fin);
    closeSync(fout);
  }
}

/**
 * Creates the sample under `destDir` (which must be empty or absent): hardlinks whole files when the
 * scratch dir is on the tree's file system (no bytes copied), copies otherwise; slices are copied.
 */
export async function materializeSample(root: string, plan: SamplePlan, destDir: string): Promise<MaterializedSample> {
  mkdirSync(destDir, { recursive: true });
  const sameFs = statSync(root).dev === statSync(destDir).dev;
  const made = new Set<string>();
  let linked = 0;
  let copied = 0;
  let n = 0;
  for (const e of plan.entries) {
    const src = join(root, e.rel);
    const dst = join(destDir, e.rel);
    const parent = dirname(dst);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    if (!e.whole) {
      copyRange(src, dst, e.offset, e.length);
      copied++;
    } else {
      let done = false;
      if (sameFs) {
        try {
          linkSync(src, dst);
          linked++;
          done = true;
        } catch {
          // protected_hardlinks or an odd file: fall back to a copy
        }
      }
      if (!done) {
        copyFileSync(src, dst);
        copied++;
      }
    }
    if (++n % 256 === 0) await new Promise((r) => setImmediate(r));
  }
  return { ...plan, dir: destDir, linked, copied };
}
