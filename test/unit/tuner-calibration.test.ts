// The per-host time calibration: measured-vs-predicted pairs become a factor per compressor, and the
// factor read back from the memory changes what the aggressive mode picks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addPair,
  applyTimeFactors,
  calibrationKey,
  timeFactors,
  MAX_PAIRS,
  type MeasuredPair,
} from '../../agents/performance-tuner/calibration.js';
import { choose } from '../../agents/performance-tuner/choose.js';
import { type PredictedCandidate } from '../../agents/performance-tuner/predict.js';
import { validateRecord } from '../../src/schemas/memory-records.js';
import { type SquashChoice, choiceLabel } from '../../src/host/squashfs/mksquashfs.js';

const FP = 'abc123def456';

function pair(comp: string, predictedMs: number, measuredMs: number): MeasuredPair {
  return {
    label: `${comp}/p2`,
    comp,
    predictedMs,
    measuredMs,
    predictedBytes: 100,
    measuredBytes: 100,
    cpuMs: null,
    at: '2026-12-01T00:00:00.000Z',
    source: 'test',
  };
}

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

test('pairs: median per compressor, all-compressor fallback, clamped, newest kept', () => {
  let rec: unknown;
  for (const [p, m] of [
    [10, 20],
    [10, 30],
    [10, 25],
  ])
    rec = addPair(rec, FP, pair('zstd', p as number, m as number));
  rec = addPair(rec, FP, pair('xz', 100, 1000));
  const f = timeFactors(rec, FP);
  assert.equal(f.byComp.zstd?.factor, 2.5);
  assert.equal(f.byComp.zstd?.pairs, 3);
  assert.equal(f.byComp.xz?.factor, 3, 'a tenfold miss is clamped to 3');
  assert.equal(f.all?.pairs, 4);
  assert.deepEqual(timeFactors(rec, 'another-host'), { byComp: {}, all: null }, "another host's pairs do not apply");
  for (let i = 0; i < MAX_PAIRS + 5; i++) rec = addPair(rec, FP, pair('lz4', 1, 1));
  assert.equal((rec as { pairs: unknown[] }).pairs.length, MAX_PAIRS);
  assert.deepEqual(
    validateRecord(calibrationKey(FP), rec),
    { ok: true },
    'the memory accepts the record under its key',
  );
});

test('the stored factor changes the aggressive decision', () => {
  const cands = [
    cand({ comp: 'xz', blockSize: 1 << 20, processors: 2 }, 100, 100),
    cand({ comp: 'zstd', level: 9, blockSize: 1 << 20, processors: 2 }, 10, 118),
    cand({ comp: 'gzip', processors: 2 }, 14, 119),
  ];
  assert.equal(choose(cands, 'aggressive').label, 'zstd-9-b1M/p2', 'uncalibrated: zstd is predicted fastest');
  // Full builds on this host showed zstd took twice its prediction and gzip what was predicted.
  let rec: unknown = addPair(undefined, FP, pair('zstd', 10_000, 20_000));
  rec = addPair(rec, FP, pair('gzip', 14_000, 14_000));
  const calibrated = applyTimeFactors(cands, timeFactors(rec, FP));
  assert.equal(calibrated[1]?.predicted.buildMs, 20_000);
  assert.equal(calibrated[1]?.timeFactor, 2);
  assert.equal(choose(calibrated, 'aggressive').label, 'gzip/p2', 'calibrated: gzip is faster on this host');
});
