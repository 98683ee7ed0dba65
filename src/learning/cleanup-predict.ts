// cleanup-success read back: the last cleans of a target predict the next one's size and time (shown
// in plans), and a tree known to be big gets the deleter's threads at once, as many as measured fastest.
import { formatBytes, formatDuration } from '../text/units.js';

export const RECENT_KEEP = 10;
/** A tree with at least this many files is worth starting the deleter's threads at once. */
export const BIG_TREE_FILES = 20_000;

export interface CleanRun {
  at: string;
  status: string;
  bytesFreed: number;
  files: number;
  durationMs: number;
  /** Deleter threads that took part (0: the calling thread alone). */
  threads: number;
}

export interface CleanPrediction {
  /** How many past cleans the prediction rests on. */
  basis: number;
  bytes: [number, number];
  durationMs: [number, number];
  /** For the bytes planned now, at the measured bytes per second (null when no bytes were measured). */
  estimateMs: number | null;
  text: string;
}

function recentDone(rec: unknown, n: number): CleanRun[] {
  const recent = (rec as { recent?: CleanRun[] } | undefined)?.recent;
  return (Array.isArray(recent) ? recent : [])
    .filter((r) => r.status === 'done' && r.files + r.bytesFreed > 0)
    .slice(-n);
}

const range = (xs: number[], f: (x: number) => string): string => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return f(lo) === f(hi) ? f(lo) : `${f(lo)}–${f(hi)}`;
};

export function predictClean(rec: unknown, plannedBytes?: number): CleanPrediction | null {
  const runs = recentDone(rec, 3);
  if (!runs.length) return null;
  const bytes = runs.map((r) => r.bytesFreed);
  const ms = runs.map((r) => r.durationMs);
  const totalMs = ms.reduce((a, b) => a + b, 0);
  const totalBytes = bytes.reduce((a, b) => a + b, 0);
  const estimateMs =
    plannedBytes !== undefined && totalBytes > 0 && totalMs > 0
      ? Math.round((plannedBytes * totalMs) / totalBytes)
      : null;
  const seconds = (x: number): string => formatDuration(x);
  const text = `last ${runs.length} clean${runs.length === 1 ? '' : 's'} of this target: ${range(bytes, formatBytes)}, ${range(ms, seconds)}${
    estimateMs !== null
      ? `; about ${formatDuration(estimateMs)} for the ${formatBytes(plannedBytes ?? 0)} planned now`
      : ''
  }`;
  return {
    basis: runs.length,
    bytes: [Math.min(...bytes), Math.max(...bytes)],
    durationMs: [Math.min(...ms), Math.max(...ms)],
    estimateMs,
    text,
  };
}

export interface ThreadChoice {
  threads: number;
  eager: boolean;
  decision: string;
  evidence: Record<string, unknown>;
}

/**
 * For a tree the record knows to be big: start the threads at once, with the thread count whose
 * cleans removed files fastest (the default count when only one count was measured). null: the
 * deleter decides as usual (threads start only once the tree proves big).
 */
export function chooseThreads(rec: unknown, defaultThreads: number): ThreadChoice | null {
  const runs = recentDone(rec, RECENT_KEEP);
  const big = runs.filter((r) => r.files >= BIG_TREE_FILES);
  if (!big.length) return null;
  const byThreads = new Map<number, { files: number; ms: number }>();
  for (const r of big) {
    if (r.threads <= 0 || r.durationMs <= 0) continue;
    const t = byThreads.get(r.threads) ?? { files: 0, ms: 0 };
    byThreads.set(r.threads, { files: t.files + r.files, ms: t.ms + r.durationMs });
  }
  const rates = [...byThreads].map(([threads, t]) => ({ threads, filesPerSec: Math.round((t.files * 1000) / t.ms) }));
  rates.sort((a, b) => b.filesPerSec - a.filesPerSec);
  const threads = rates.length > 1 ? rates[0]!.threads : defaultThreads;
  const last = big[big.length - 1]!;
  return {
    threads,
    eager: true,
    decision: `started ${threads} deleter threads at once: the last clean removed ${last.files} files in ${formatDuration(last.durationMs)}${
      rates.length > 1 ? ` (fastest measured: ${rates[0]!.threads} threads, ${rates[0]!.filesPerSec} files/s)` : ''
    }`,
    evidence: { bigCleans: big.length, lastFiles: last.files, lastMs: last.durationMs, rates },
  };
}
