// Per-run sample buffer with bounded memory: when it is full, neighbouring buckets are merged in pairs
// and every later bucket covers twice as many samples, so a long build is kept whole at a coarser
// resolution instead of losing its beginning. Merging keeps peaks (memory, disk) and averages rates.
import type { BuildSample, DiskSample, Sample } from './sampler.js';

/** Merges bucket `a` (covering `wa` samples) with the later bucket `b` (covering `wb`). */
export type Merge<T> = (a: T, b: T, wa: number, wb: number) => T;

export class DownsamplingBuffer<T> {
  private buckets: T[] = [];
  private pending: T | null = null;
  private pendingCount = 0;
  private width = 1;
  private total: T | null = null;
  private count = 0;
  readonly capacity: number;

  /** Keeps at most `capacity` buckets (rounded up to even) plus one partial bucket. */
  constructor(
    capacity: number,
    private readonly merge: Merge<T>,
  ) {
    if (!(capacity >= 2)) throw new Error('capacity must be at least 2');
    this.capacity = Math.ceil(capacity / 2) * 2;
  }

  push(x: T): void {
    this.total = this.total === null ? x : this.merge(this.total, x, this.count, 1);
    this.count++;
    this.pending = this.pending === null ? x : this.merge(this.pending, x, this.pendingCount, 1);
    this.pendingCount++;
    if (this.pendingCount < this.width) return;
    this.buckets.push(this.pending);
    this.pending = null;
    this.pendingCount = 0;
    if (this.buckets.length < this.capacity) return;
    const halved: T[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      halved.push(this.merge(this.buckets[i]!, this.buckets[i + 1]!, this.width, this.width));
    }
    this.buckets = halved;
    this.width *= 2;
  }

  /** Buckets oldest first; the last one may cover fewer samples than `width`. */
  toArray(): T[] {
    return this.pending === null ? [...this.buckets] : [...this.buckets, this.pending];
  }

  /** Samples per full bucket now. */
  get bucketWidth(): number {
    return this.width;
  }

  /** Samples pushed since creation. */
  get pushed(): number {
    return this.count;
  }

  /** All samples merged into one: whole-run peaks and averages, exact whatever the downsampling. */
  summary(): T | null {
    return this.total;
  }
}

const avg = (a: number, b: number, wa: number, wb: number) => (a * wa + b * wb) / (wa + wb);

function mergeDisks(a: DiskSample[], b: DiskSample[]): DiskSample[] {
  const byPath = new Map(a.map((d) => [d.path, { ...d }]));
  for (const d of b) {
    const o = byPath.get(d.path);
    if (!o) byPath.set(d.path, { ...d });
    else
      byPath.set(d.path, {
        path: d.path,
        usedPct: Math.max(o.usedPct, d.usedPct),
        freeBytes: Math.min(o.freeBytes, d.freeBytes),
      });
  }
  return [...byPath.values()];
}

function mergeBuild(
  a: BuildSample | undefined,
  b: BuildSample | undefined,
  wa: number,
  wb: number,
): BuildSample | undefined {
  if (!a || !b) return b ?? a;
  return {
    ...b, // pid, alive and the cumulative I/O counters: the later value is the right one
    procs: Math.max(a.procs, b.procs),
    cpuPct: avg(a.cpuPct, b.cpuPct, wa, wb),
    rssBytes: Math.max(a.rssBytes, b.rssBytes),
  };
}

/** Bucket of samples: starts at `a.at`; CPU averaged; memory, load, disk, temp and RSS peaks kept. */
export const mergeSamples: Merge<Sample> = (a, b, wa, wb) => {
  const m: Sample = {
    at: a.at,
    cpuPct: avg(a.cpuPct, b.cpuPct, wa, wb),
    memPct: Math.max(a.memPct, b.memPct),
    memUsedBytes: Math.max(a.memUsedBytes, b.memUsedBytes),
    load1: Math.max(a.load1, b.load1),
    disks: mergeDisks(a.disks, b.disks),
    temp:
      a.temp && b.temp
        ? { ...b.temp, bytes: Math.max(a.temp.bytes, b.temp.bytes), files: Math.max(a.temp.files, b.temp.files) }
        : (b.temp ?? a.temp),
  };
  const build = mergeBuild(a.build, b.build, wa, wb);
  if (build) m.build = build;
  return m;
};

/** The Monitor's per-run buffer: 3600 buckets keep an hour at full 1 s resolution, then coarsen. */
export function createSampleBuffer(capacity = 3600): DownsamplingBuffer<Sample> {
  return new DownsamplingBuffer(capacity, mergeSamples);
}
