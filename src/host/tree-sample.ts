// A bounded, representative sample of a real tree, materialized in a scratch dir so that real
// mksquashfs runs can measure it. Stratified by size class and extension with a deterministic seed;
// every stratum gives the same fraction of its bytes, so file count and bytes both scale by that
// fraction and full-tree predictions are a plain ratio. Files too large to take whole contribute a
// contiguous slice of the same fraction (at least one xz-1M block), so one huge file neither
// dominates the sample nor goes missing.
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type TreeScan, type ScannedFile } from './tree-scan.js';

export interface SampleLimits {
  /** Target share of the tree's bytes (default 0.05). */
  fraction: number;
  /** Floor: below this, fixed per-run costs swamp the measurement (default 4 MiB). */
  minBytes: number;
  /** Ceiling that keeps sampling cheap on big trees (default 32 MiB). */
  maxBytes: number;
  seed: string;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { fraction: 0.05, minBytes: 4 << 20, maxBytes: 32 << 20, seed: 'isoswarm' };

/** Smallest slice taken from a large file: one 1 MiB block, so xz -b 1M sees whole blocks. */
const MIN_SLICE = 1 << 20;
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
  const extBytes = new Map<string, number>();
  for (const f of scan.files) extBytes.set(f.ext, (extBytes.get(f.ext) ?? 0) + f.size);
  // The 24 heaviest extensions get their own strata; the long tail shares one.
  const major = new Set([...extBytes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 24).map((e) => e[0]));
  const strata = new Map<string, ScannedFile[]>();
  const entries: SampleEntry[] = [];
  let bytes = 0;
  const big: ScannedFile[] = [];
  for (const f of scan.files) {
    if (f.size >= 2 * MIN_SLICE) {
      big.push(f);
      continue;
    }
    const key = `${String(sizeClass(f.size)).padStart(2, '0')}|${major.has(f.ext) ? f.ext : '*'}`;
    const list = strata.get(key);
    if (list) list.push(f);
    else strata.set(key, [f]);
  }
  // Large files give slices: the fraction itself when that is at least one 1 MiB block, otherwise
  // whole 1 MiB slices from a systematic share of them (expected bytes stay fraction x size).
  big.sort((a, b) => priority(seed, a.rel) - priority(seed, b.rel) || (a.rel < b.rel ? -1 : 1));
  let credit = 0;
  for (const f of big) {
    const want = fraction * f.size;
    let len = 0;
    if (want >= MIN_SLICE) len = Math.floor(want / ALIGN) * ALIGN;
    else {
      credit += want;
      if (credit >= MIN_SLICE / 2) {
        len = MIN_SLICE;
        credit -= MIN_SLICE;
      }
    }
    if (len === 0) continue;
    const room = Math.floor((f.size - len) / MIN_SLICE);
    const offset = room > 0 ? (priority(`${seed}@`, f.rel) % (room + 1)) * MIN_SLICE : 0;
    entries.push({ rel: f.rel, offset, length: len, whole: false });
    bytes += len;
  }
  // Strata in key order (size class first): what one stratum could not take exactly carries over.
  let carry = 0;
  for (const key of [...strata.keys()].sort()) {
    const list = strata.get(key) as ScannedFile[];
    let total = 0;
    for (const f of list) total += f.size;
    const target = fraction * total + carry;
    // Count-based for strata of empty files, which have no bytes to apportion.
    const targetCount = total === 0 ? Math.round(fraction * list.length) : Infinity;
    list.sort((a, b) => priority(seed, a.rel) - priority(seed, b.rel) || (a.rel < b.rel ? -1 : 1));
    let taken = 0;
    let count = 0;
    for (const f of list) {
      if (total === 0 ? count >= targetCount : taken + f.size / 2 > target) continue;
      entries.push({ rel: f.rel, offset: 0, length: f.size, whole: true });
      taken += f.size;
      count++;
    }
    if (total > 0) carry = target - taken;
    bytes += taken;
  }
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
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
