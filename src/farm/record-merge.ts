// How a farm merges what its hosts learned (docs/farm.md, "Shared patterns"). Every host keeps its own
// contribution to a record (built by the same reducers from its own events only); the record a host
// reads is the merge of all contributions, recomputed whenever one of them changes:
// - counts add: unmount-strategies, cleanup-success, caching-effectiveness, the summaries' totals;
// - lists of recent items (cleanup runs, summary entries) are the newest items of all hosts;
// - a derived measure (a moving success rate, the last status) comes from the newest contribution;
// - the newest measurement wins per fingerprint: parallel-config (and any record of another shape)
//   is the contribution with the newest `measuredAt`, else `updatedAt`;
// - host-specific records (resource-management: this host's disks and memory) are never merged:
//   other hosts read them as farm/<host>/<key>.
// Contributions come in one order on every host (sorted by contributor), so every host computes the
// same record from the same contributions.
import { RECENT_KEEP } from '../learning/cleanup-predict.js';
import { SUMMARY_KEEP } from '../learning/reducers.js';
import { SOURCES_KEEP, type StatsMap, type StrategyStats } from '../learning/unmount-order.js';

export const HOST_SPECIFIC = ['optimization/resource-management'];

export function isHostSpecific(key: string): boolean {
  return HOST_SPECIFIC.includes(key);
}

/** Records kept as per-host contributions and merged: optimization/*, except host-specific ones. */
export function isMerged(key: string): boolean {
  return key.startsWith('optimization/') && !isHostSpecific(key);
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const when = (r: Rec): string => str(r.measuredAt) || str(r.updatedAt);

/** The newest of `xs` by `at` (the first on a tie). */
function newest<T>(xs: T[], at: (x: T) => string): T {
  return xs.reduce((best, x) => (at(x) > at(best) ? x : best));
}

function sumFields(rs: Rec[], fields: string[]): Rec {
  return Object.fromEntries(fields.map((f) => [f, rs.reduce((n, r) => n + num(r[f]), 0)]));
}

/** The newest `keep` items of all lists (by their `at`). */
function newestItems(lists: unknown[], keep: number): unknown[] {
  const all = lists.flatMap((l) => (Array.isArray(l) ? (l as unknown[]) : []));
  return all
    .map((x, i) => ({ x, i }))
    .sort((a, b) => str((a.x as Rec)?.at).localeCompare(str((b.x as Rec)?.at)) || a.i - b.i)
    .slice(-keep)
    .map((e) => e.x);
}

function mergeStats(maps: StatsMap[]): StatsMap {
  const out: StatsMap = {};
  for (const name of [...new Set(maps.flatMap((m) => Object.keys(m)))].sort()) {
    const all = maps.map((m) => m[name]).filter((s): s is StrategyStats => !!s);
    const last = newest(all, (s) => s.lastAt ?? '');
    out[name] = {
      ...last,
      attempts: all.reduce((n, s) => n + num(s.attempts), 0),
      successes: all.reduce((n, s) => n + num(s.successes), 0),
      totalMs: all.reduce((n, s) => n + num(s.totalMs), 0),
    };
  }
  return out;
}

type Bucket = { strategies: StatsMap; updatedAt: string };

function mergeUnmount(rs: Rec[], base: Rec): Rec {
  const out: Rec = { ...base, strategies: mergeStats(rs.map((r) => (r.strategies ?? {}) as StatsMap)) };
  const sources = rs.map((r) => (isRec(r.bySource) ? (r.bySource as Record<string, Bucket>) : {}));
  const names = [...new Set(sources.flatMap((s) => Object.keys(s)))];
  if (names.length) {
    const merged = names.map((n): [string, Bucket] => {
      const all = sources.map((s) => s[n]).filter((b): b is Bucket => !!b);
      return [
        n,
        { strategies: mergeStats(all.map((b) => b.strategies)), updatedAt: newest(all, (b) => b.updatedAt).updatedAt },
      ];
    });
    merged.sort((x, y) => y[1].updatedAt.localeCompare(x[1].updatedAt) || x[0].localeCompare(y[0]));
    out.bySource = Object.fromEntries(merged.slice(0, SOURCES_KEEP));
  }
  return out;
}

function mergeSummary(rs: Rec[], base: Rec): Rec {
  const totals: Record<string, number> = {};
  for (const r of rs)
    for (const [k, v] of Object.entries(isRec(r.totals) ? r.totals : {})) totals[k] = (totals[k] ?? 0) + num(v);
  return {
    ...base,
    entries: newestItems(
      rs.map((r) => r.entries),
      SUMMARY_KEEP,
    ),
    totals,
  };
}

/** One record from every host's contribution to `key` (in contributor order). */
export function mergeContributions(key: string, values: unknown[]): unknown {
  const rs = values.filter(isRec);
  if (rs.length === 0) return values.find((v) => v !== undefined && v !== null);
  if (rs.length === 1) return rs[0];
  const pattern = key.split('/')[1] ?? '';
  const base = newest(rs, (r) => str(r.updatedAt));
  const updatedAt = str(base.updatedAt);
  switch (pattern) {
    case 'caching-effectiveness': {
      const s = sumFields(rs, ['builds', 'hits', 'misses', 'bytesSaved', 'bytesDownloaded', 'evicted']);
      const seen = num(s.hits) + num(s.misses);
      return { ...base, ...s, hitRate: seen === 0 ? 0 : num(s.hits) / seen, updatedAt };
    }
    case 'cleanup-success':
      return {
        ...base,
        ...sumFields(rs, ['runs', 'successes', 'refusals', 'failures', 'bytesFreed']),
        ...(rs.some((r) => Array.isArray(r.recent))
          ? {
              recent: newestItems(
                rs.map((r) => r.recent),
                RECENT_KEEP,
              ),
            }
          : {}),
        updatedAt,
      };
    case 'unmount-strategies':
      return { ...mergeUnmount(rs, base), updatedAt };
    default:
      if (key.split('/').length === 2) return { ...mergeSummary(rs, base), updatedAt };
      // parallel-config and anything else: the newest measurement wins.
      return newest(rs, when);
  }
}
