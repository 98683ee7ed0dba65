// How learning events become records. Pure functions: the single writer applies them in one transaction.
import type { CachingEffectiveness, CleanupSuccess, Summary, UnmountStrategies } from '../schemas/memory-records.js';

import { type CleanRun, RECENT_KEEP } from './cleanup-predict.js';
import { chooseStrategies, foldAttempt, SOURCES_KEEP, type StatsMap } from './unmount-order.js';

export const SUMMARY_KEEP = 50;

export interface UnmountAttempt {
  fsType: string;
  /** The mount's source (device, "proc", a host path): strategies are also kept per source. */
  source?: string;
  strategy: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export function addUnmountAttempt(old: unknown, a: UnmountAttempt, now: string): UnmountStrategies {
  const rec = (old as UnmountStrategies | undefined) ?? { fsType: a.fsType, strategies: {}, updatedAt: now };
  const strategies = foldAttempt(rec.strategies as StatsMap, a.strategy, a.ok, a.ms, now);
  const out: UnmountStrategies = {
    ...rec,
    fsType: a.fsType,
    strategies,
    ...(a.error ? { lastError: a.error } : {}),
    updatedAt: now,
  };
  if (a.source !== undefined) {
    const prev = (rec as { bySource?: Record<string, { strategies: StatsMap; updatedAt: string }> }).bySource ?? {};
    const mine = foldAttempt(prev[a.source]?.strategies ?? {}, a.strategy, a.ok, a.ms, now);
    // The most recently seen sources are kept; the others fall back to the type's order.
    const kept = Object.entries({ ...prev, [a.source]: { strategies: mine, updatedAt: now } })
      .sort((x, y) => y[1].updatedAt.localeCompare(x[1].updatedAt))
      .slice(0, SOURCES_KEEP);
    out.bySource = Object.fromEntries(kept);
  }
  return out;
}

/** Strategies ordered by what the record favours (see unmount-order.ts). */
export function orderStrategies(rec: UnmountStrategies | undefined, known: readonly string[]): string[] {
  return chooseStrategies(rec, known).order;
}

export interface CleanupOutcome {
  target: string;
  status: 'done' | 'refused' | 'failed';
  bytesFreed: number;
  durationMs: number;
  files?: number;
  threads?: number;
}

export function addCleanupOutcome(old: unknown, o: CleanupOutcome, now: string): CleanupSuccess {
  const r = (old as CleanupSuccess | undefined) ?? {
    target: o.target,
    runs: 0,
    successes: 0,
    refusals: 0,
    failures: 0,
    bytesFreed: 0,
    lastStatus: '',
    lastDurationMs: 0,
    updatedAt: now,
  };
  return {
    ...r,
    runs: r.runs + 1,
    successes: r.successes + (o.status === 'done' ? 1 : 0),
    refusals: r.refusals + (o.status === 'refused' ? 1 : 0),
    failures: r.failures + (o.status === 'failed' ? 1 : 0),
    bytesFreed: r.bytesFreed + o.bytesFreed,
    lastStatus: o.status,
    lastDurationMs: o.durationMs,
    recent: [
      ...(Array.isArray(r.recent) ? (r.recent as CleanRun[]) : []),
      {
        at: now,
        status: o.status,
        bytesFreed: o.bytesFreed,
        files: o.files ?? 0,
        durationMs: o.durationMs,
        threads: o.threads ?? 0,
      },
    ].slice(-RECENT_KEEP),
    updatedAt: now,
  };
}

/** One build's use of a cache (apt archives, debootstrap tarballs), as the PerformanceTuner counts it. */
export interface CacheBuildStats {
  cache: string;
  hits: number;
  misses: number;
  bytesSaved: number;
  bytesDownloaded: number;
  evicted: number;
  sizeBytes: number;
  limitBytes: number;
  /** How hits were seen: atime moved on read, a lookup we served, or not observable here. */
  tracking: 'atime' | 'lookup' | 'unavailable';
}

export interface CachingEffectivenessRecord extends CachingEffectiveness {
  bytesDownloaded: number;
  evicted: number;
  sizeBytes: number;
  limitBytes: number;
  lastBuild: CacheBuildStats & { at: string };
}

/** Folds one build's stats into the running record (a previous value of another cache is not merged). */
export function addCacheUse(old: unknown, b: CacheBuildStats, now: string): CachingEffectivenessRecord {
  const p =
    old && typeof old === 'object' && (old as CachingEffectiveness).cache === b.cache
      ? (old as Partial<CachingEffectivenessRecord>)
      : undefined;
  // The hit rate is of builds whose hits could be seen: one with tracking unavailable reports its
  // downloads (bytesDownloaded) with hits it could not see, so its misses stay out of the rate.
  const hits = (p?.hits ?? 0) + b.hits;
  const misses = (p?.misses ?? 0) + (b.tracking !== 'unavailable' ? b.misses : 0);
  return {
    cache: b.cache,
    builds: (p?.builds ?? 0) + 1,
    hits,
    misses,
    hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
    bytesSaved: (p?.bytesSaved ?? 0) + b.bytesSaved,
    bytesDownloaded: (p?.bytesDownloaded ?? 0) + b.bytesDownloaded,
    evicted: (p?.evicted ?? 0) + b.evicted,
    sizeBytes: b.sizeBytes,
    limitBytes: b.limitBytes,
    lastBuild: { ...b, at: now },
    updatedAt: now,
  };
}

/** Appends an entry to a summary, keeps the newest ones, and adds `counts` to its totals. */
export function addSummaryEntry(
  old: unknown,
  entry: Record<string, unknown>,
  counts: Record<string, number>,
  now: string,
): Summary {
  const r = (old as Summary | undefined) ?? { entries: [], totals: {}, updatedAt: now };
  const totals = { ...r.totals };
  for (const [k, v] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + v;
  return { ...r, entries: [...r.entries, { ...entry, at: now }].slice(-SUMMARY_KEEP), totals, updatedAt: now };
}
