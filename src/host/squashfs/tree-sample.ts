// A bounded, representative sample of a real tree for real mksquashfs runs. Deterministic per seed;
// each part of the tree gives the same fraction of its bytes. Three bands, as mksquashfs has:
//  - small files (< 128 KiB) share fragment blocks with neighbours in read order: sampled in runs
//    of neighbours (one by one predicted images 27 % too large on a /usr/share + /usr/lib copy);
//  - block-sized files (128 KiB .. 2 MiB) are compressed block by block on their own: a systematic
//    share of them gives one-block slices (many files, little bytes: 14 whole files of a few
//    hundred KiB swung the predicted ratio by 70 %), stratified by extension and size class;
//  - large files give 256 KiB runs at aligned offsets, spread over the file, tail included. zstd's
//    size against xz's follows each piece's compressibility, so a K times larger pool is drawn and
//    thinned by compressibility (`oversample`, tree-sample-strata.ts). Measured on a 434 MB /usr/lib
//    copy (zstd-3/xz -b 1M 1.299 on the whole tree), five seeds each: 1 MiB blocks 1.23..1.38,
//    256 KiB runs 1.25..1.29 (four times the pieces; about 2 % low, as xz loses more context).
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

/** Files from twice this size are large: they give runs of this many bytes. */
const MIN_SLICE = 1 << 20;
const LARGE_RUN = 256 << 10;
/** Files below one default block are packed, in read order, into shared fragment blocks. */
const FRAGMENT_MAX = 128 << 10;
const BLOCK_SLICE = 128 << 10; // block-sized files give slices of one default block
const RUN_BYTES = 256 << 10; // neighbouring small files are sampled in runs of about this many bytes

export interface SampleEntry {
  rel: string;
  /** Byte range taken: the whole file when offset 0 and length = size. */
  offset: number;
  length: number;
  whole: boolean;
  name?: string; // in the sample, when it differs from rel (several pieces of one file)
  pool?: boolean; // drawn into the over-sized pool of large-file pieces that stratifySample thins
}

export interface PlanOptions {
  /** Pool of large-file blocks this many times the fraction (default 1: no pool). */
  oversample?: number;
  /** Files left out: copies of a file already in the tree (mksquashfs stores them once). */
  skip?: ReadonlySet<string>;
}

export interface SamplePlan {
  fraction: number;
  entries: SampleEntry[];
  bytes: number;
  tree: { files: number; bytes: number };
  /** The pool's size over the fraction (planSample may lower `oversample` so that the pool fits the tree). */
  oversample?: number;
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
export function planSample(
  scan: TreeScan,
  fraction: number,
  seed = DEFAULT_SAMPLE_LIMITS.seed,
  opts: PlanOptions = {},
): SamplePlan {
  const tree = { files: scan.files.length, bytes: scan.totalBytes };
  const skip = opts.skip ?? new Set<string>();
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
    if (skip.has(f.rel)) continue;
    if (f.size >= 2 * MIN_SLICE) big.push(f);
    else if (f.size >= FRAGMENT_MAX) blocks.push(f);
    else {
      run.push(f);
      runBytes += f.size;
      if (runBytes >= RUN_BYTES || run.length >= 512) closeRun();
    }
  }
  closeRun();
  // Larger files: a slice of one block from a systematic share of block-sized files, whole 1 MiB
  // blocks from large ones. Walking them sorted by extension, then size class, then read order
  // makes the systematic selection stratified by all three.
  const order = new Map(scan.files.map((f, i) => [f.rel, i]));
  const byKind = (a: ScannedFile, b: ScannedFile) =>
    (a.ext < b.ext ? -1 : a.ext > b.ext ? 1 : 0) ||
    sizeClass(a.size) - sizeClass(b.size) ||
    (order.get(a.rel) ?? 0) - (order.get(b.rel) ?? 0);
  let credit = ((priority(seed, `${BLOCK_SLICE}`) % 1000) / 1000) * BLOCK_SLICE;
  for (const f of blocks.sort(byKind)) {
    credit += fraction * f.size;
    if (credit < BLOCK_SLICE) continue;
    credit -= BLOCK_SLICE;
    const room = Math.floor((f.size - BLOCK_SLICE) / BLOCK_SLICE);
    const offset = room > 0 ? (priority(`${seed}@`, f.rel) % (room + 1)) * BLOCK_SLICE : 0;
    entries.push({ rel: f.rel, offset, length: BLOCK_SLICE, whole: BLOCK_SLICE === f.size });
    bytes += BLOCK_SLICE;
  }
  const k = Math.max(1, Math.min(opts.oversample ?? 1, 1 / fraction));
  let blockCredit = (priority(seed, `${LARGE_RUN}`) % 1000) / 1000;
  for (const f of big.sort(byKind)) {
    const nb = Math.ceil(f.size / LARGE_RUN);
    blockCredit += (k * fraction * f.size) / LARGE_RUN;
    const m = Math.min(nb, Math.floor(blockCredit));
    blockCredit -= m;
    // m blocks spread over the file from a seeded start, the partial tail block among them.
    const u = (priority(`${seed}@`, f.rel) % 1000) / 1000;
    for (let j = 0; j < m; j++) {
      const idx = Math.floor(((j + u) * nb) / m);
      const offset = idx * LARGE_RUN;
      const length = Math.min(LARGE_RUN, f.size - offset);
      entries.push({
        rel: f.rel,
        offset,
        length,
        whole: false,
        name: `${f.rel}@${idx}`,
        ...(k > 1 ? { pool: true } : {}),
      });
      bytes += length;
    }
  }
  return { fraction, entries, bytes, tree, ...(k > 1 ? { oversample: k } : {}) };
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
    const dst = join(destDir, e.name ?? e.rel);
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
