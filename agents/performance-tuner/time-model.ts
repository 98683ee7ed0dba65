// The build-time prediction a decision reports: the sample's CPU prediction, calibrated by this
// host's measured builds, divided by the parallelism the build can get at the load seen when it is
// decided (src/learning/wall-model.ts). Candidates without a CPU measurement, or a host whose load
// cannot be read, keep the sample's wall prediction scaled by the host's time factor.
import { type CpuContention } from '../../src/host/proc/cpu-contention.js';
import {
  calibrate,
  estimateWall,
  loadPairs,
  type LoadBasis,
  type WallEstimate,
} from '../../src/learning/wall-calibration.js';
import { type LoadObservation } from '../../src/learning/wall-model.js';
import { applyTimeFactors, isCalibrationRecord, type TimeFactors } from './calibration.js';
import { type PredictedCandidate } from './predict.js';

/** Weight of the candidate's own sample run in the fit: small runs parallelize worse than the build. */
const SAMPLE_WEIGHT = 0.5;

export interface WallBasis extends WallEstimate {
  model: 'cpu-load';
  /** The sample's own wall prediction (before any factor), kept as the pair's `predictedMs`. */
  sampleWallMs: number;
  processors: number;
  nproc: number;
  load1: number;
  stealShare: number;
  /** Runnable tasks and idle share seen over the decision's own window (kept as evidence, not used). */
  procsRunning?: number;
  idleShare?: number | null;
  /** The load the prediction read: other work in CPUs over the last seconds ('recent'), or load1. */
  load?: number;
  loadBasis?: LoadBasis;
  /** The recent window: its length and the CPU left out as the tuner's and the caller's own. */
  recentLoad?: number;
  loadWindowMs?: number;
  excludedMs?: number;
}

/** The load a contention reading gives the model, and on what basis. */
export function seenLoad(c: CpuContention): { load: number; basis: LoadBasis } {
  return c.recent ? { load: c.recent.load, basis: 'recent' } : { load: c.load1, basis: 'load1' };
}

export type TimedCandidate = PredictedCandidate & { wall?: WallBasis };

export interface TimeModelInput {
  /** The calibration record's value (optimization/parallel-config/<host>/time-calibration). */
  calibration: unknown;
  fingerprintId: string;
  /** The load when the build is decided; null: not known (then the time factor alone applies). */
  seen: CpuContention | null;
  /** The load when the sample was measured, when the record kept it. */
  sampleLoad?: CpuContention | null;
  factors: TimeFactors;
}

export function applyTimeModel(cands: PredictedCandidate[], m: TimeModelInput): TimedCandidate[] {
  const rec =
    isCalibrationRecord(m.calibration) && m.calibration.fingerprintId === m.fingerprintId ? m.calibration : null;
  const pairs = loadPairs(rec?.pairs ?? []);
  const byFactor = applyTimeFactors(cands, m.factors);
  // Pairs stored before the load model carry no CPU or load: until load pairs exist they keep scaling.
  if (pairs.length === 0 && (rec?.pairs.length ?? 0) > 0) return byFactor;
  return cands.map((c, i) => {
    const cpu = c.predicted.cpuMs;
    const seen = m.seen;
    if (!seen || cpu === null || !(cpu > 0)) return byFactor[i] as PredictedCandidate;
    const processors = c.choice.processors;
    const now = seenLoad(seen);
    // The sample run is an observation only when its load was read the same way as the decision's.
    const extra: LoadObservation[] =
      m.sampleLoad && c.run.cpuMs && c.run.cpuMs > 0 && seenLoad(m.sampleLoad).basis === now.basis
        ? [
            {
              cpuMs: c.run.cpuMs,
              wallMs: c.run.wallMs,
              processors,
              nproc: m.sampleLoad.nproc,
              load1: seenLoad(m.sampleLoad).load,
              stealShare: m.sampleLoad.stealShare,
              weight: SAMPLE_WEIGHT,
            },
          ]
        : [];
    const est = estimateWall(
      cpu,
      processors,
      { nproc: seen.nproc, load1: now.load, stealShare: seen.stealShare },
      calibrate(pairs, c.choice.comp, extra, now.basis),
    );
    const wall: WallBasis = {
      model: 'cpu-load',
      ...est,
      sampleWallMs: c.predicted.buildMs,
      processors,
      nproc: seen.nproc,
      load1: seen.load1,
      stealShare: seen.stealShare,
      procsRunning: seen.procsRunning,
      idleShare: seen.idleShare,
      load: now.load,
      loadBasis: now.basis,
      ...(seen.recent
        ? {
            recentLoad: seen.recent.load,
            loadWindowMs: seen.recent.windowMs,
            excludedMs: seen.recent.selfMs + seen.recent.callerMs,
          }
        : {}),
    };
    return { ...c, predicted: { ...c.predicted, buildMs: est.wallMs }, wall };
  });
}

/** One line for logs and reports: what the wall prediction rests on. */
export function wallBasisText(w: WallBasis): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    `CPU ${s(w.cpuMs)} (sample ${s(w.rawCpuMs)} x${w.cpuFactor} from ${w.cpuPairs} build(s)) / ` +
    `${w.effParallelism} effective of ${w.processors} processor(s) at ${loadText(w)} on ${w.nproc} CPU(s)` +
    ` (slowdown ${w.slowdown} = ${w.fit.a} + ${w.fit.b} x ${w.excess}, fitted on ${w.fit.weight} build(s) of ${w.loadPairs} with load)`
  );
}

/** The load a prediction read, in words: the recent other work (and its window), or the 1-minute load. */
export function loadText(w: Pick<WallBasis, 'load1' | 'recentLoad' | 'loadWindowMs'>): string {
  return typeof w.recentLoad === 'number'
    ? `other work ${w.recentLoad.toFixed(2)} CPU(s) over the last ${((w.loadWindowMs ?? 0) / 1000).toFixed(1)} s (load1 ${w.load1.toFixed(1)})`
    : `load ${w.load1.toFixed(1)}`;
}
