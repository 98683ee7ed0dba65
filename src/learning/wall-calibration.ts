// Pure: the host's load-aware time calibration from its stored measured-vs-predicted pairs (see
// wall-model.ts), and its history: for each measured build, the error of what was reported then and
// of what the model fitted on the earlier pairs alone would have said — the error shrinking over runs.
import {
  cpuFactorOf,
  fitSlowdown,
  predictWall,
  type LoadObservation,
  type LoadSeen,
  type SlowdownFit,
  type WallPrediction,
} from './wall-model.js';

/** A stored pair as the load model reads it (the fields calibration pairs carry since the model). */
export interface LoadPair {
  label: string;
  comp: string;
  at: string;
  measuredMs: number;
  cpuMs: number | null;
  predictedCpuMs: number;
  processors: number;
  nproc: number;
  load1: number;
  stealShare: number;
  predictedWallMs?: number;
  /** Other work in CPUs over the seconds before the build (cpu-recent.ts), when it was known. */
  recentLoad?: number;
}

/** Which load a prediction or pair rests on: the recent other work, or the 1-minute load average. */
export type LoadBasis = 'recent' | 'load1';

export function basisOf(p: { recentLoad?: number | null }): LoadBasis {
  return typeof p.recentLoad === 'number' && Number.isFinite(p.recentLoad) ? 'recent' : 'load1';
}

/** The load the model reads for a pair: its recent other work when known, else its load1. */
export function modelLoad(p: { load1: number; recentLoad?: number | null }): number {
  return basisOf(p) === 'recent' ? (p.recentLoad as number) : p.load1;
}

export interface WallCalibration {
  cpuFactor: number;
  cpuPairs: number;
  fit: SlowdownFit;
  loadPairs: number;
}

export interface WallEstimate extends WallPrediction, WallCalibration {
  rawCpuMs: number;
  cpuMs: number;
}

/** The pairs of a calibration record that carry what the load model needs, oldest first. */
export function loadPairs(pairs: unknown): LoadPair[] {
  if (!Array.isArray(pairs)) return [];
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (pairs as Record<string, unknown>[]).filter(
    (p) =>
      !!p &&
      num(p.measuredMs) &&
      num(p.predictedCpuMs) &&
      (p.predictedCpuMs as number) > 0 &&
      num(p.processors) &&
      num(p.nproc) &&
      num(p.load1),
  ) as unknown as LoadPair[];
}

function observation(p: LoadPair, cpuFactor: number): LoadObservation {
  return {
    // A pair whose CPU was not measured (live-build's stage) stands on its calibrated prediction.
    cpuMs: p.cpuMs !== null && p.cpuMs > 0 ? p.cpuMs : p.predictedCpuMs * cpuFactor,
    wallMs: p.measuredMs,
    processors: p.processors,
    nproc: p.nproc,
    load1: modelLoad(p),
    stealShare: p.stealShare ?? 0,
    weight: 1,
  };
}

/**
 * CPU factor (same compressor first, else all) and slowdown fit from `pairs` plus extra observations.
 * The fit reads only pairs whose load was measured the way the prediction's is (`basis`): a slowdown
 * against the 1-minute average says nothing about one against the last seconds' other work.
 */
export function calibrate(
  pairs: readonly LoadPair[],
  comp: string,
  extra: LoadObservation[] = [],
  basis?: LoadBasis,
): WallCalibration {
  const withCpu = pairs
    .filter((p) => p.cpuMs !== null && p.cpuMs > 0)
    .map((p) => ({ comp: p.comp, predictedCpuMs: p.predictedCpuMs, measuredCpuMs: p.cpuMs as number }));
  const same = cpuFactorOf(withCpu.filter((p) => p.comp === comp));
  const cpu = same.pairs > 0 ? same : cpuFactorOf(withCpu);
  const fitted = basis ? pairs.filter((p) => basisOf(p) === basis) : pairs;
  const fit = fitSlowdown([...fitted.map((p) => observation(p, cpu.factor)), ...extra]);
  return { cpuFactor: cpu.factor, cpuPairs: cpu.pairs, fit, loadPairs: pairs.length };
}

export function estimateWall(rawCpuMs: number, processors: number, seen: LoadSeen, cal: WallCalibration): WallEstimate {
  const cpuMs = Math.round(rawCpuMs * cal.cpuFactor);
  return { ...predictWall(cpuMs, processors, seen, cal.fit), ...cal, rawCpuMs, cpuMs };
}

export interface HistoryRow {
  at: string;
  label: string;
  load1: number;
  /** The load the model read for this build (recent other work, or load1), and which. */
  load: number;
  basis: LoadBasis;
  measuredMs: number;
  /** Reported before the build, and its relative error (null for pairs stored without it). */
  reportedMs: number | null;
  reportedError: number | null;
  /** The model fitted on the earlier pairs only, replayed at this build's load. */
  replayMs: number;
  replayError: number;
  earlierPairs: number;
}

const err = (p: number, m: number) => (m > 0 ? Math.abs(p - m) / m : 0);

export function calibrationHistory(pairs: readonly LoadPair[]): HistoryRow[] {
  return pairs.map((p, i) => {
    const earlier = pairs.slice(0, i);
    const basis = basisOf(p);
    const seen = { nproc: p.nproc, load1: modelLoad(p), stealShare: p.stealShare ?? 0 };
    const e = estimateWall(p.predictedCpuMs, p.processors, seen, calibrate(earlier, p.comp, [], basis));
    const reported = typeof p.predictedWallMs === 'number' ? p.predictedWallMs : null;
    return {
      at: p.at,
      label: p.label,
      load1: p.load1,
      load: modelLoad(p),
      basis,
      measuredMs: p.measuredMs,
      reportedMs: reported,
      reportedError: reported === null ? null : round3(err(reported, p.measuredMs)),
      replayMs: e.wallMs,
      replayError: round3(err(e.wallMs, p.measuredMs)),
      earlierPairs: i,
    };
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
