// What the parallel-config records changed in a tune, for the decision log (decisions/<key>):
// a stored tune record answered instead of a new sample; the host's time calibration moved the
// predicted build time; or the calibration changed the choice itself (chosen again from the
// sample's own predictions, the choice would differ).
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import { calibrationKey } from './calibration.js';
import { choose } from './choose.js';
import { type PredictedCandidate } from './predict.js';
import { loadText, type TimedCandidate } from './time-model.js';
import { type TuneResult } from './tune.js';

/** A calibrated prediction this far from the sample's own counts as changed by the calibration. */
const MOVED = 0.1;

/** The sample's own build-time prediction of a candidate, before the host's calibration. */
function uncalibrated(c: TimedCandidate): PredictedCandidate {
  const ms = c.wall ? c.wall.sampleWallMs : c.timeFactor ? Math.round(c.predicted.buildMs / c.timeFactor) : null;
  return ms === null ? c : { ...c, predicted: { ...c.predicted, buildMs: ms } };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function tuneDecisions(r: TuneResult): LearningEvent[] {
  const out: LearningEvent[] = [];
  if (r.fastPath)
    out.push({
      kind: 'decision',
      key: r.key,
      by: 'performance-tuner',
      decision: `reused the stored measurement: ${r.choice.label} without sampling the tree (${r.reuse.reason})`,
      default: `sample the tree now (the stored measurement took ${s(r.record.samplingMs)})`,
      evidence: {
        measuredAt: r.record.measuredAt,
        samplingMs: r.record.samplingMs,
        tuneMs: r.durationMs,
        treeBytes: r.treeSignature.bytes,
      },
    });
  const cands = r.candidates;
  const picked = cands.find((c) => c.label === r.choice.label);
  const calibrated = cands.some((c) => c.timeFactor !== undefined || (c.wall && c.wall.loadPairs > 0));
  if (!picked || !calibrated) return out;
  const key = calibrationKey(r.fingerprint.id);
  const plain = choose(cands.map(uncalibrated), r.decision.mode);
  const own = uncalibrated(picked).predicted.buildMs;
  const w = picked.wall;
  const evidence = {
    label: picked.label,
    predictedWallMs: picked.predicted.buildMs,
    samplePredictedMs: own,
    ...(w
      ? {
          predictedCpuMs: w.cpuMs,
          sampleCpuMs: w.rawCpuMs,
          cpuFactor: w.cpuFactor,
          slowdown: { a: w.fit.a, b: w.fit.b, excess: w.excess },
          load1: w.load1,
          ...(typeof w.recentLoad === 'number' ? { recentLoad: w.recentLoad, loadWindowMs: w.loadWindowMs } : {}),
          nproc: w.nproc,
          pairs: w.loadPairs,
        }
      : { timeFactor: picked.timeFactor }),
  };
  if (plain.label !== r.choice.label)
    out.push({
      kind: 'decision',
      key,
      by: 'performance-tuner',
      decision: `chose ${r.choice.label} (${r.decision.mode}) with this host's measured build times`,
      default: `${plain.label}, from the sample's own predictions`,
      evidence: { ...evidence, uncalibratedChoice: plain.label, scores: r.decision.scores },
    });
  else if (own > 0 && Math.abs(picked.predicted.buildMs - own) / own >= MOVED)
    out.push({
      kind: 'decision',
      key,
      by: 'performance-tuner',
      decision: `predicted ${picked.label} at ${s(picked.predicted.buildMs)} wall${w ? ` (CPU ${s(w.cpuMs)} at ${loadText(w)})` : ''} from this host's measured builds`,
      default: `${s(own)}, the sample's own prediction`,
      evidence,
    });
  return out;
}
