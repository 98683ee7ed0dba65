// Time series out of the Monitor's samples: extraction (with gaps where a value is missing),
// peaks over ALL points, and min/max downsampling so thousands of samples draw as a few hundred
// points without losing a spike.
import type { RunSample } from '../schemas/run-record.js';

export interface Point {
  t: number;
  v: number;
}

export interface Series {
  key: string;
  label: string;
  color: string;
  /** Runs of consecutive points; a missing value starts a new segment. */
  segments: Point[][];
}

export interface Peak extends Point {
  label: string;
}

/** Stroke colours: fixed (not themed) so that they read on light and dark and tests can find them. */
export const COLORS = {
  cpu: '#3b82f6',
  memory: '#a855f7',
  temp: '#14b8a6',
  rss: '#f43f5e',
  written: '#eab308',
  disks: ['#f59e0b', '#ec4899', '#22c55e', '#06b6d4', '#f97316', '#84cc16', '#6366f1', '#d946ef'],
} as const;

/** One series from a per-sample reader; null/NaN values split the line. */
export function extract(
  samples: readonly RunSample[],
  key: string,
  label: string,
  color: string,
  read: (s: RunSample) => number | null | undefined,
): Series {
  const segments: Point[][] = [];
  let cur: Point[] | null = null;
  for (const s of samples) {
    const v = read(s);
    if (v === null || v === undefined || !Number.isFinite(v) || !Number.isFinite(s.at)) {
      cur = null;
      continue;
    }
    if (!cur) segments.push((cur = []));
    cur.push({ t: s.at, v });
  }
  return { key, label, color, segments };
}

/** Disk paths in order of first appearance, each its own series. */
export function diskSeries(samples: readonly RunSample[]): Series[] {
  const paths: string[] = [];
  for (const s of samples) for (const d of s.disks) if (!paths.includes(d.path)) paths.push(d.path);
  return paths.map((p, i) =>
    extract(
      samples,
      `disk:${p}`,
      p,
      COLORS.disks[i % COLORS.disks.length]!,
      (s) => s.disks.find((d) => d.path === p)?.usedPct,
    ),
  );
}

export function peakOf(series: Series): Peak | null {
  let best: Point | null = null;
  for (const seg of series.segments) for (const p of seg) if (!best || p.v > best.v) best = p;
  return best ? { ...best, label: series.label } : null;
}

export function pointCount(series: Series): number {
  return series.segments.reduce((n, s) => n + s.length, 0);
}

/**
 * Keeps at most ~`max` points: per bucket the minimum and the maximum, in time order, so that
 * every spike and dip survives; the first and last points are always kept.
 */
export function downsample(points: readonly Point[], max: number): Point[] {
  if (points.length <= max || max < 4) return points.slice();
  const buckets = Math.floor((max - 2) / 2);
  const inner = points.length - 2;
  const out: Point[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i]!.v < points[lo]!.v) lo = i;
      if (points[i]!.v > points[hi]!.v) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else for (const i of lo < hi ? [lo, hi] : [hi, lo]) out.push(points[i]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

/** Unicode sparkline for Markdown: one character per bucket, scaled to [0, max]. */
export function sparkline(series: Series, width = 48, max?: number): string {
  const pts = series.segments.flat();
  if (pts.length === 0) return '';
  const top = max ?? Math.max(...pts.map((p) => p.v));
  const blocks = '▁▂▃▄▅▆▇█';
  const n = Math.min(width, pts.length);
  let out = '';
  for (let b = 0; b < n; b++) {
    const slice = pts.slice(Math.floor((b * pts.length) / n), Math.floor(((b + 1) * pts.length) / n));
    const v = Math.max(...slice.map((p) => p.v));
    const i = top > 0 ? Math.round((Math.min(v, top) / top) * (blocks.length - 1)) : 0;
    out += blocks[Math.max(0, i)];
  }
  return out;
}
