// Thins the over-sized pool of large-file pieces (planSample's `oversample`) to the sample's
// fraction, stratified by how compressible each block is: zstd's and xz's sizes relative to each
// other follow compressibility, and a handful of blocks drawn by chance can all come from one end
// of the range. The score is raw deflate at level 1 (zlib, no extra tool): cheap next to any
// mksquashfs run, and it orders blocks the way the real compressors do.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { type SampleEntry, type SamplePlan } from './tree-sample.js';

function score(root: string, e: SampleEntry, buf: Buffer): number {
  const fd = openSync(join(root, e.rel), 'r');
  try {
    const n = readSync(fd, buf, 0, e.length, e.offset);
    return n > 0 ? deflateRawSync(buf.subarray(0, n), { level: 1 }).length / n : 1;
  } finally {
    closeSync(fd);
  }
}

/** Seeded start in [0, 1): the same seed keeps the same pieces. */
function start(seed: string): number {
  let h = 0;
  for (const c of seed) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return (h % 1000) / 1000;
}

export interface StrataInfo {
  pooled: number;
  kept: number;
  /** Bytes read to score the pool. */
  readBytes: number;
}

/** The plan with one in k (the plan's oversample) pooled pieces, in order of compressibility, kept. */
export function stratifySample(root: string, plan: SamplePlan, seed: string): { plan: SamplePlan; strata: StrataInfo } {
  const pool = plan.entries.filter((e) => e.pool);
  const k = plan.oversample ?? 1;
  if (pool.length === 0 || k <= 1) return { plan, strata: { pooled: pool.length, kept: pool.length, readBytes: 0 } };
  const buf = Buffer.allocUnsafe(Math.max(...pool.map((e) => e.length)));
  let readBytes = 0;
  const scored = pool.map((e) => {
    let s = 1;
    try {
      s = score(root, e, buf);
      readBytes += e.length;
    } catch {
      /* unreadable now: scored as incompressible */
    }
    return { e, s };
  });
  scored.sort((a, b) => a.s - b.s || ((a.e.name ?? a.e.rel) < (b.e.name ?? b.e.rel) ? -1 : 1));
  // Systematic over the sorted pool: one piece each time the running share crosses a whole one.
  const keep = new Set<SampleEntry>();
  let acc = start(seed);
  for (const { e } of scored) {
    acc += 1 / k;
    if (acc >= 1) {
      acc -= 1;
      keep.add(e);
    }
  }
  const entries = plan.entries.filter((e) => !e.pool || keep.has(e)).map(({ pool: _p, ...e }) => e);
  const bytes = entries.reduce((a, e) => a + e.length, 0);
  const { oversample: _k, ...rest } = plan;
  return { plan: { ...rest, entries, bytes }, strata: { pooled: pool.length, kept: keep.size, readBytes } };
}

/** Pool size over sample size (planSample lowers it when the pool would exceed the tree). */
export const OVERSAMPLE = 4;
