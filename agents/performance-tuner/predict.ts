// Pure: from measurements on a sample to predictions for the whole tree. A run costs a fixed part
// (process start, tables; measured on an empty tree) plus a part proportional to the data, and the
// sample holds the same fraction of every part of the tree, so the variable part scales by the
// tree's distinct bytes over the sample's distinct bytes (duplicates are stored, and compressed,
// once). Runs on the smaller sub-sample get their size corrected by how a control compressor's
// ratio differed between the two samples (the sub-sample's own luck of the draw).
import { type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';

export type SampleLevel = 'sample' | 'subsample';

export interface SampleRun {
  label: string;
  choice: SquashChoice;
  level: SampleLevel;
  sampleBytes: number;
  /** Distinct bytes of that sample: what the measurement scales from. */
  uniqueBytes: number;
  sampleFiles: number;
  /** Best wall time of the runs made (short runs are repeated: the best is the least disturbed). */
  wallMs: number;
  /** CPU time (user + system) of that build; null when it could not be measured. */
  cpuMs: number | null;
  imageBytes: number;
  /** CPU time to decompress the whole image once (one processor). */
  readBackMs: number;
  runs: number;
}

export interface Calibration {
  overheadMs: number;
  overheadCpuMs: number | null;
  readBackOverheadMs: number;
  /** Control compressor's image/bytes ratio on the sample divided by that on the sub-sample. */
  subsampleSizeCorrection: number;
  /** Estimated share of the tree's bytes that are distinct (mksquashfs stores duplicates once). */
  uniqueShare: number;
}

export interface Prediction {
  buildMs: number;
  cpuMs: number | null;
  imageBytes: number;
  readBackMs: number;
}

export interface PredictedCandidate {
  label: string;
  choice: SquashChoice;
  run: SampleRun;
  predicted: Prediction;
  /** The host's measured/predicted time factor applied to buildMs, when one was known. */
  timeFactor?: number;
  /** The host's measured/predicted size factor applied to imageBytes, when one was known. */
  sizeFactor?: number;
}

export function predictRun(run: SampleRun, cal: Calibration, treeBytes: number): Prediction {
  const basis = run.uniqueBytes > 0 ? run.uniqueBytes : run.sampleBytes;
  const scale = basis > 0 ? (treeBytes * (cal.uniqueShare ?? 1)) / basis : 1;
  const sizeFix = run.level === 'subsample' ? cal.subsampleSizeCorrection : 1;
  const lin = (measured: number, fixed: number) => Math.round(fixed + Math.max(0, measured - fixed) * scale);
  return {
    buildMs: lin(run.wallMs, cal.overheadMs),
    cpuMs: run.cpuMs === null ? null : lin(run.cpuMs, cal.overheadCpuMs ?? 0),
    imageBytes: Math.round(run.imageBytes * scale * sizeFix),
    readBackMs: lin(run.readBackMs, cal.readBackOverheadMs),
  };
}

export function predictAll(runs: SampleRun[], cal: Calibration, treeBytes: number): PredictedCandidate[] {
  return runs.map((r) => ({ label: r.label, choice: r.choice, run: r, predicted: predictRun(r, cal, treeBytes) }));
}

/** Relative error of a prediction against a measured value (0.1 = 10 %). */
export function relativeError(predicted: number, measured: number): number {
  return measured === 0 ? (predicted === 0 ? 0 : Infinity) : Math.abs(predicted - measured) / measured;
}
