// The parallel-config decision log: a stored tune record answering instead of a new sample, and the
// host's time calibration changing the choice or the predicted time, are decisions kept under
// decisions/<key> that `patterns explain` shows with their evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPair, applyTimeFactors, calibrationKey, timeFactors } from '../../agents/performance-tuner/calibration.js';
import { choose } from '../../agents/performance-tuner/choose.js';
import { type PredictedCandidate } from '../../agents/performance-tuner/predict.js';
import { tuneDecisions } from '../../agents/performance-tuner/tune-decisions.js';
import { type TuneResult } from '../../agents/performance-tuner/tune.js';
import { type SquashChoice, choiceLabel } from '../../src/host/squashfs/mksquashfs.js';
import { addDecision, type DecisionLog } from '../../src/learning/decisions.js';
import { explainEntry, formatExplained } from '../../src/learning/explain.js';

const FP = 'h1';

function cand(choice: SquashChoice, buildS: number, mib: number): PredictedCandidate {
  const run = {
    label: choiceLabel(choice),
    choice,
    level: 'sample' as const,
    sampleBytes: 1,
    uniqueBytes: 1,
    sampleFiles: 1,
    wallMs: 1,
    cpuMs: 1,
    imageBytes: 1,
    readBackMs: 1,
    runs: 1,
  };
  return {
    label: run.label,
    choice,
    run,
    predicted: { buildMs: buildS * 1000, cpuMs: null, imageBytes: mib * 2 ** 20, readBackMs: 100 },
  };
}

function result(cands: PredictedCandidate[], fastPath: boolean): TuneResult {
  const d = choose(cands, 'aggressive');
  const picked = cands.find((c) => c.label === d.label) as PredictedCandidate;
  return {
    choice: {
      label: d.label,
      choice: picked.choice,
      mksquashfsOpts: '',
      reason: d.reason,
      predicted: picked.predicted,
    },
    decision: d,
    candidates: cands,
    fastPath,
    reuse: { reusable: fastPath, reason: 'same host, similar tree, 1 h old' },
    durationMs: 40,
    key: `optimization/parallel-config/${FP}/tree-28-none`,
    record: { measuredAt: '2026-12-01T10:00:00.000Z', samplingMs: 9800 },
    fingerprint: { id: FP },
    treeSignature: { bytes: 250 << 20 },
  } as unknown as TuneResult;
}

function pair(comp: string, predictedMs: number, measuredMs: number) {
  return {
    label: `${comp}/p2`,
    comp,
    predictedMs,
    measuredMs,
    predictedBytes: 1,
    measuredBytes: 1,
    cpuMs: null,
    at: '2026-12-01T11:00:00.000Z',
    source: 'test',
  };
}

const cands = () => [
  cand({ comp: 'xz', blockSize: 1 << 20, processors: 2 }, 100, 100),
  cand({ comp: 'zstd', level: 9, blockSize: 1 << 20, processors: 2 }, 10, 118),
  cand({ comp: 'gzip', processors: 2 }, 14, 119),
];

test('a calibration that changes the choice, and a reused record, are decisions with evidence', () => {
  let rec: unknown = addPair(undefined, FP, pair('zstd', 10_000, 20_000));
  rec = addPair(rec, FP, pair('gzip', 14_000, 14_000));
  const r = result(applyTimeFactors(cands(), timeFactors(rec, FP)), true);
  assert.equal(r.choice.label, 'gzip/p2');
  const d = tuneDecisions(r);
  assert.equal(d.length, 2);
  const [reuse, choice] = d as Extract<(typeof d)[number], { kind: 'decision' }>[];
  assert.equal(reuse?.key, r.key);
  assert.match(reuse?.decision ?? '', /reused the stored measurement: gzip\/p2 without sampling/);
  assert.match(reuse?.default ?? '', /sample the tree now \(the stored measurement took 9\.8 s\)/);
  assert.equal(choice?.key, calibrationKey(FP));
  assert.match(choice?.decision ?? '', /chose gzip\/p2 \(aggressive\) with this host's measured build times/);
  assert.equal(choice?.default, "zstd-9-b1M/p2, from the sample's own predictions");
  assert.equal(choice?.evidence.uncalibratedChoice, 'zstd-9-b1M/p2');

  // Kept by the memory's reducer under decisions/<key> and shown by `patterns explain`.
  const { kind: _k, key, ...entry } = choice as NonNullable<typeof choice>;
  const log: DecisionLog = addDecision(undefined, key, entry, '2026-12-01T12:00:00.000Z');
  const text = formatExplained(explainEntry(key, rec, 'x', log)).join('\n');
  assert.match(text, /decisions it changed \(last 1 of 1\):/);
  assert.match(
    text,
    /performance-tuner: chose gzip\/p2 .* \(default: zstd-9-b1M\/p2, from the sample's own predictions\)/,
  );
});

test('a calibration that moves the prediction but not the choice is logged as a prediction; none without pairs', () => {
  const rec = addPair(undefined, FP, pair('zstd', 10_000, 15_000));
  const d = tuneDecisions(result(applyTimeFactors(cands(), timeFactors(rec, FP)), false));
  assert.equal(d.length, 1);
  const [p] = d as Extract<(typeof d)[number], { kind: 'decision' }>[];
  assert.match(p?.decision ?? '', /predicted zstd-9-b1M\/p2 at 15\.0 s wall from this host's measured builds/);
  assert.equal(p?.default, "10.0 s, the sample's own prediction");
  assert.deepEqual(tuneDecisions(result(cands(), false)), [], 'nothing stored: no decision');
});
