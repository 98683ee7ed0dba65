// Per-host time calibration: every real mksquashfs build the swarm watches (the shim, the bench)
// stores what was predicted beside what was measured under
// optimization/parallel-config/<host>/time-calibration (a parallel-config record with no candidates
// of its own, so it is never mistaken for a tune record);
// the next decision on that host scales its time predictions by the median measured/predicted ratio
// of the same compressor (or of all compressors when that one has no pairs yet). Sampling on a few
// MiB misjudges parallelism and cache effects of the full build in a host-specific way; the pairs
// measure exactly that error.
import { type AppendEvent } from '../../src/learning/append.js';
import { type PredictedCandidate } from './predict.js';

/** Pairs kept per host: the newest win. */
export const MAX_PAIRS = 64;
/** A factor outside this range says the pair was disturbed, not that the host is that different. */
const CLAMP: [number, number] = [0.33, 3];

export interface MeasuredPair {
  label: string;
  comp: string;
  predictedMs: number;
  measuredMs: number;
  predictedBytes: number | null;
  measuredBytes: number;
  cpuMs: number | null;
  at: string;
  source: string;
  /** The sample's CPU prediction for the build, before any host factor (pairs of the load model). */
  predictedCpuMs?: number | null;
  /** The wall time reported before the build (after the host's calibration). */
  predictedWallMs?: number;
  /** Processors asked, CPUs online, 1-minute load and steal share when the build was decided. */
  processors?: number;
  nproc?: number;
  load1?: number;
  stealShare?: number;
  procsRunning?: number;
  idleShare?: number | null;
  /** Other work in CPUs over the seconds before the build, and that window (cpu-recent.ts). */
  recentLoad?: number;
  loadWindowMs?: number;
}

export interface CalibrationRecord {
  fingerprintId: string;
  pairs: MeasuredPair[];
  /** The parallel-config schema's fields: no choice and no candidates of its own. */
  choice: null;
  candidates: [];
  measuredAt: string;
  updatedAt: string;
}

export interface TimeFactor {
  factor: number;
  pairs: number;
}

export interface TimeFactors {
  byComp: Record<string, TimeFactor>;
  all: TimeFactor | null;
}

export function calibrationKey(fingerprintId: string): string {
  return `optimization/parallel-config/${fingerprintId}/time-calibration`;
}

export function isCalibrationRecord(x: unknown): x is CalibrationRecord {
  const r = x as Partial<CalibrationRecord> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.fingerprintId === 'string' &&
    Array.isArray(r.pairs) &&
    r.pairs.every(
      (p) => typeof p?.comp === 'string' && typeof p.predictedMs === 'number' && typeof p.measuredMs === 'number',
    )
  );
}

/** The record with `pair` appended (oldest dropped beyond MAX_PAIRS). */
export function addPair(prev: unknown, fingerprintId: string, pair: MeasuredPair): CalibrationRecord {
  const pairs = isCalibrationRecord(prev) && prev.fingerprintId === fingerprintId ? prev.pairs : [];
  return {
    fingerprintId,
    pairs: [...pairs, pair].slice(-MAX_PAIRS),
    choice: null,
    candidates: [],
    measuredAt: pair.at,
    updatedAt: pair.at,
  };
}

/** The same change as addPair, as one append the memory's writer applies in its transaction. */
export function pairAppend(fingerprintId: string, pair: MeasuredPair): AppendEvent {
  return {
    item: pair,
    field: 'pairs',
    max: MAX_PAIRS,
    set: { fingerprintId, choice: null, candidates: [], measuredAt: pair.at, updatedAt: pair.at },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function factorOf(pairs: MeasuredPair[]): TimeFactor | null {
  const ratios = pairs.filter((p) => p.predictedMs > 0 && p.measuredMs > 0).map((p) => p.measuredMs / p.predictedMs);
  if (ratios.length === 0) return null;
  const f = Math.min(CLAMP[1], Math.max(CLAMP[0], median(ratios)));
  return { factor: Math.round(f * 1000) / 1000, pairs: ratios.length };
}

export function timeFactors(rec: unknown, fingerprintId: string): TimeFactors {
  if (!isCalibrationRecord(rec) || rec.fingerprintId !== fingerprintId) return { byComp: {}, all: null };
  const byComp: Record<string, TimeFactor> = {};
  for (const comp of new Set(rec.pairs.map((p) => p.comp))) {
    const f = factorOf(rec.pairs.filter((p) => p.comp === comp));
    if (f) byComp[comp] = f;
  }
  return { byComp, all: factorOf(rec.pairs) };
}

/** Predictions with build time scaled by the host's measured/predicted factor for that compressor. */
export function applyTimeFactors(cands: PredictedCandidate[], f: TimeFactors): PredictedCandidate[] {
  return cands.map((c) => {
    const tf = f.byComp[c.choice.comp] ?? f.all;
    if (!tf || tf.factor === 1) return c;
    return {
      ...c,
      predicted: { ...c.predicted, buildMs: Math.round(c.predicted.buildMs * tf.factor) },
      timeFactor: tf.factor,
    };
  });
}
