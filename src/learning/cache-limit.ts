// How a cache's size limit follows its caching-effectiveness record, within configured bounds: it
// grows while hits are high, the cache is near its limit and the disk has room; it shrinks (and the
// cache is evicted to it) when hits are rare or the disk runs low. Pure: the caller reads the record.

export interface LimitBounds {
  configuredBytes: number;
  minBytes: number;
  maxBytes: number;
}

export interface LimitEvidence {
  builds: number;
  hitRate: number;
  lastHitRate: number | null;
  bytesSaved: number;
  previousLimitBytes: number | null;
}

export interface LimitDecision extends LimitBounds {
  limitBytes: number;
  change: 'grow' | 'shrink' | 'keep';
  reason: string;
  evidence: LimitEvidence | null;
  sizeBytes: number;
  disk: { freeBytes: number; totalBytes: number } | null;
}

const GROW = 1.5;
const SHRINK = 0.75;
const pct = (x: number) => `${Math.round(x * 100)} %`;

/** `rec` is the stored optimization/caching-effectiveness/<cache> value (anything else counts as none). */
export function decideLimit(
  rec: unknown,
  b: LimitBounds,
  sizeBytes: number,
  disk: { freeBytes: number; totalBytes: number } | null,
): LimitDecision {
  const clamp = (n: number) => Math.round(Math.min(b.maxBytes, Math.max(b.minBytes, n)));
  const r = rec && typeof rec === 'object' ? (rec as Record<string, unknown>) : null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const last = r?.lastBuild && typeof r.lastBuild === 'object' ? (r.lastBuild as Record<string, unknown>) : null;
  const lh = num(last?.hits) ?? 0;
  const lm = num(last?.misses) ?? 0;
  const evidence: LimitEvidence | null = r
    ? {
        builds: num(r.builds) ?? 0,
        hitRate: num(r.hitRate) ?? 0,
        lastHitRate: lh + lm > 0 ? lh / (lh + lm) : null,
        bytesSaved: num(r.bytesSaved) ?? 0,
        previousLimitBytes: num(r.limitBytes),
      }
    : null;
  const prev = clamp(evidence?.previousLimitBytes ?? b.configuredBytes);
  const out = (limitBytes: number, reason: string): LimitDecision => ({
    ...b,
    limitBytes,
    change: limitBytes > prev ? 'grow' : limitBytes < prev ? 'shrink' : 'keep',
    reason,
    evidence,
    sizeBytes,
    disk,
  });
  if (disk && disk.totalBytes > 0 && disk.freeBytes < 0.1 * disk.totalBytes)
    return out(clamp(Math.min(prev, sizeBytes) * SHRINK), `the disk has ${pct(disk.freeBytes / disk.totalBytes)} free`);
  if (!evidence || evidence.builds < 2)
    return out(prev, `${evidence?.builds ?? 0} use(s) recorded: too few to move the limit`);
  // The recent build weighs as much as the history: a cache that stopped paying shrinks soon.
  const rate = evidence.lastHitRate === null ? evidence.hitRate : (evidence.hitRate + evidence.lastHitRate) / 2;
  const seen = `hit rate ${pct(rate)} over ${evidence.builds} uses`;
  if (rate >= 0.5) {
    const grown = clamp(prev * GROW);
    const room = !disk || disk.freeBytes - (grown - sizeBytes) > 0.15 * disk.totalBytes;
    if (sizeBytes < 0.8 * prev) return out(prev, `${seen}, but the cache uses ${pct(sizeBytes / prev)} of its limit`);
    if (!room) return out(prev, `${seen}, but the disk has no room to grow`);
    return out(grown, grown > prev ? `${seen} and the cache is near its limit` : `${seen}: already at the upper bound`);
  }
  if (rate < 0.2) return out(clamp(prev * SHRINK), `${seen}: below 20 %`);
  return out(prev, `${seen}: between 20 % and 50 %`);
}
