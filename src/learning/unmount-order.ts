// Unmount strategy order from measured outcomes: a success rate per strategy that weighs recent
// attempts most (an exponential moving average) and drifts back toward a neutral prior as it ages,
// so one bad day does not pin the order; and a bounded exploration that retries the default first
// strategy once every few attempts after it lost its place, so it can earn its place back.
import type { UnmountStrategies } from '../schemas/memory-records.js';

/** Weight of the newest outcome in the moving success rate. */
export const RATE_ALPHA = 0.5;
/** An untried or long-unseen strategy is assumed to work this often. */
export const PRIOR_RATE = 0.9;
/** Age over which a rate's distance from the prior halves. */
export const RATE_HALF_LIFE_MS = 3 * 24 * 3600 * 1000;
/** Rates closer than this are a tie, broken by average time (the faster first). */
export const RATE_MARGIN = 0.15;
/** The displaced default goes first again after this many attempts without it. */
export const EXPLORE_EVERY = 3;
/** A mount source gets its own order once it has this many attempts and its order differs. */
export const SOURCE_MIN_ATTEMPTS = 2;
export const SOURCES_KEEP = 16;

export interface StrategyStats {
  attempts: number;
  successes: number;
  totalMs: number;
  rate?: number;
  avgMs?: number;
  lastAt?: string;
  lastOk?: boolean;
  /** Attempts of other strategies on this file system type since this one was last tried. */
  idle?: number;
}
export type StatsMap = Record<string, StrategyStats>;

/** The stored rate, aged toward the prior. */
export function effectiveRate(s: StrategyStats | undefined, now: number): number | null {
  if (!s || s.attempts === 0) return null;
  const rate = s.rate ?? s.successes / s.attempts;
  const age = s.lastAt ? Math.max(0, now - Date.parse(s.lastAt)) : 0;
  return PRIOR_RATE + (rate - PRIOR_RATE) * Math.pow(0.5, age / RATE_HALF_LIFE_MS);
}

/** Folds one attempt into a strategy map (every other strategy's idle count grows by one). */
export function foldAttempt(old: StatsMap, strategy: string, ok: boolean, ms: number, now: string): StatsMap {
  const out: StatsMap = {};
  for (const [name, s] of Object.entries(old)) out[name] = { ...s, idle: (s.idle ?? 0) + 1 };
  const s = old[strategy] ?? { attempts: 0, successes: 0, totalMs: 0 };
  const prevRate = effectiveRate(s, Date.parse(now));
  const x = ok ? 1 : 0;
  out[strategy] = {
    attempts: s.attempts + 1,
    successes: s.successes + x,
    totalMs: s.totalMs + ms,
    rate: prevRate === null ? x : RATE_ALPHA * x + (1 - RATE_ALPHA) * prevRate,
    avgMs: s.avgMs === undefined ? ms : RATE_ALPHA * ms + (1 - RATE_ALPHA) * s.avgMs,
    lastAt: now,
    lastOk: ok,
    idle: 0,
  };
  return out;
}

export interface StrategyChoice {
  order: string[];
  /** Set when the displaced default was put first to measure it again. */
  explored: string | null;
  /** Which stats decided: the mount source's own, or the file system type's. */
  basis: 'source' | 'fstype' | 'default';
  evidence: Record<string, { rate: number | null; attempts: number; avgMs: number | null; idle: number }>;
}

function rank(stats: StatsMap, known: readonly string[], now: number): string[] {
  const cmp = (a: string, b: string): number => {
    const ra = effectiveRate(stats[a], now);
    const rb = effectiveRate(stats[b], now);
    if (ra === null || rb === null) return 0;
    if (Math.abs(ra - rb) > RATE_MARGIN) return rb - ra;
    const ma = stats[a]?.avgMs ?? stats[a]!.totalMs / stats[a]!.attempts;
    const mb = stats[b]?.avgMs ?? stats[b]!.totalMs / stats[b]!.attempts;
    return ma - mb;
  };
  return [...known].sort(cmp);
}

function attemptsOf(stats: StatsMap): number {
  return Object.values(stats).reduce((n, s) => n + s.attempts, 0);
}

/** The order to try strategies in for a mount of this record's type (and this source, when given). */
export function chooseStrategies(
  rec: UnmountStrategies | undefined,
  known: readonly string[],
  source?: string,
  now = Date.now(),
): StrategyChoice {
  if (!rec) return { order: [...known], explored: null, basis: 'default', evidence: {} };
  const typeStats = rec.strategies as StatsMap;
  let stats = typeStats;
  let basis: StrategyChoice['basis'] = 'fstype';
  const bySource = (rec as { bySource?: Record<string, { strategies: StatsMap }> }).bySource;
  const own = source !== undefined ? bySource?.[source]?.strategies : undefined;
  if (own && attemptsOf(own) >= SOURCE_MIN_ATTEMPTS && rank(own, known, now)[0] !== rank(typeStats, known, now)[0]) {
    stats = own;
    basis = 'source';
  }
  const order = rank(stats, known, now);
  let explored: string | null = null;
  const first = known[0];
  if (first !== undefined && order[0] !== first && (stats[first]?.idle ?? 0) >= EXPLORE_EVERY) {
    explored = first;
    order.splice(order.indexOf(first), 1);
    order.unshift(first);
  }
  const evidence: StrategyChoice['evidence'] = {};
  for (const name of known) {
    const s = stats[name];
    evidence[name] = {
      rate: effectiveRate(s, now),
      attempts: s?.attempts ?? 0,
      avgMs: s ? Math.round(s.avgMs ?? s.totalMs / Math.max(1, s.attempts)) : null,
      idle: s?.idle ?? 0,
    };
  }
  return { order, explored, basis, evidence };
}
