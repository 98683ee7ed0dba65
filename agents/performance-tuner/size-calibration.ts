// Per-host size calibration, beside the time factor: the same stored pairs (a full build's image
// against what the sample predicted for it) give a measured/predicted size factor per compressor.
// The search and the choice compare sizes of different compressors (zstd against xz -b 1M), so a
// compressor whose images came out larger than predicted on this host gets its later predictions
// raised by that much (median of the pairs, clamped: src/learning/size-factor.ts).
import { medianSizeFactor } from '../../src/learning/size-factor.js';
import { isCalibrationRecord, type MeasuredPair } from './calibration.js';
import { type PredictedCandidate } from './predict.js';

export interface SizeFactor {
  factor: number;
  pairs: number;
}

export interface SizeFactors {
  byComp: Record<string, SizeFactor>;
}

function factorOf(pairs: MeasuredPair[]): SizeFactor | null {
  const ratios = pairs
    .filter((p) => typeof p.predictedBytes === 'number' && p.predictedBytes > 0 && p.measuredBytes > 0)
    .map((p) => p.measuredBytes / (p.predictedBytes as number));
  const f = medianSizeFactor(ratios);
  return f === null ? null : { factor: f, pairs: ratios.length };
}

/** Per compressor only: one compressor's size error says nothing of another's (that is the point). */
export function sizeFactors(rec: unknown, fingerprintId: string): SizeFactors {
  if (!isCalibrationRecord(rec) || rec.fingerprintId !== fingerprintId) return { byComp: {} };
  const byComp: Record<string, SizeFactor> = {};
  for (const comp of new Set(rec.pairs.map((p) => p.comp))) {
    const f = factorOf(rec.pairs.filter((p) => p.comp === comp));
    if (f) byComp[comp] = f;
  }
  return { byComp };
}

/** The factor for a compressor (1 when none is known). */
export function sizeFactorFor(f: SizeFactors | undefined, comp: string): number {
  return f?.byComp[comp]?.factor ?? 1;
}

/** Predictions with image size scaled by the host's measured/predicted factor for that compressor. */
export function applySizeFactors(cands: PredictedCandidate[], f: SizeFactors): PredictedCandidate[] {
  return cands.map((c) => {
    const sf = sizeFactorFor(f, c.choice.comp);
    if (sf === 1) return c;
    return {
      ...c,
      predicted: { ...c.predicted, imageBytes: Math.round(c.predicted.imageBytes * sf) },
      sizeFactor: sf,
    };
  });
}
