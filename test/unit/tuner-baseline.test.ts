// Aggressive's size bound anchored to the build's own baseline: when the caller names the setting
// that would run otherwise (live-build's -comp xz at 128 KiB blocks), the search measures it and both
// the level bisection and the choice take the fastest within +25 % of it (less the ratio margin);
// without a baseline the anchor stays xz -b 1M. Ratios and CPU times are the field model of
// tuner-search-logic.test.ts (a real binary tree), with xz at 128 KiB 7 % larger than at 1 MiB (as
// mksquashfs measured on a bookworm live chroot's sample).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choiceLabel, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { aggressiveBound, searchCandidates } from '../../agents/performance-tuner/search.js';
import { choose } from '../../agents/performance-tuner/choose.js';
import { type PredictedCandidate, type SampleRun } from '../../agents/performance-tuner/predict.js';

const ZSTD: Record<number, [number, number]> = {
  1: [0.41, 60],
  2: [0.4, 70],
  3: [0.3953, 80],
  4: [0.3925, 108],
  5: [0.3824, 132],
  6: [0.378, 170],
  7: [0.372, 216],
  8: [0.3705, 280],
  9: [0.37, 330],
  10: [0.3696, 500],
  11: [0.3692, 664],
  12: [0.369, 800],
  13: [0.3688, 1100],
  14: [0.3686, 1250],
  15: [0.3684, 1329],
  16: [0.3583, 2348],
  17: [0.3479, 2850],
  18: [0.345, 3500],
  19: [0.342, 4200],
};
const XZ_1M = 0.3133;
const XZ_128K = 0.3352;
const XZ_DEFAULT: SquashChoice = { comp: 'xz', processors: 2 };

function fakeRun(c: SquashChoice): SampleRun {
  const [ratio, cpu] =
    c.comp === 'lz4'
      ? [0.56, 40]
      : c.comp === 'xz'
        ? c.blockSize
          ? [XZ_1M, 3932]
          : [XZ_128K, 3100]
        : c.blockSize
          ? (ZSTD[c.level ?? 3] as [number, number])
          : [0.4086, 100];
  return {
    label: choiceLabel(c),
    choice: c,
    level: 'sample',
    sampleBytes: 1e7,
    uniqueBytes: 1e7,
    sampleFiles: 38,
    wallMs: cpu / (c.processors ?? 1),
    cpuMs: cpu,
    imageBytes: Math.round(ratio * 1e7),
    readBackMs: 20,
    runs: 1,
  };
}

async function search(baseline?: SquashChoice) {
  const probed: string[] = [];
  const r = await searchCandidates({
    nproc: 2,
    elfShare: 0.9,
    probe: async (c) => {
      probed.push(choiceLabel(c));
      return fakeRun(c);
    },
    ratio: (run) => run.imageBytes / run.uniqueBytes,
    ...(baseline ? { baseline } : {}),
  });
  return { r, probed };
}

const predicted = (run: SampleRun): PredictedCandidate => ({
  label: run.label,
  choice: run.choice,
  run,
  predicted: {
    buildMs: Math.round(run.wallMs * 70),
    cpuMs: (run.cpuMs ?? 0) * 70,
    imageBytes: run.imageBytes * 70,
    readBackMs: run.readBackMs * 70,
  },
});

test('a named baseline is measured and anchors the bisection; without one the anchor is xz -b 1M', async () => {
  const plain = await search();
  assert.ok(!plain.probed.includes('xz/p2'), 'no baseline: xz at 128 KiB is not measured');
  assert.equal(plain.r.zstdLevel, 5, plain.r.steps.join(' | '));
  assert.match(plain.r.steps.join(' '), /bound 38\.4 % \(xz -b 1M 31\.3 %/);

  const lb = await search(XZ_DEFAULT);
  assert.ok(lb.probed.includes('xz/p2'), 'the baseline is measured on the sample');
  // +25 % of 33.5 % less 2 %: 41.1 %; zstd-1 (41.0 %) is within it.
  assert.ok(Math.abs(aggressiveBound(XZ_128K) - 0.4108) < 1e-4);
  assert.equal(lb.r.zstdLevel, 1, lb.r.steps.join(' | '));
  assert.match(lb.r.steps.join(' '), /bound 41\.1 % \(baseline xz\/p2 33\.5 %/);
});

test('aggressive takes the fastest within +25 % of the baseline, else of xz -b 1M', async () => {
  // Both searches' measurements (the anchored one stops at level 1), so each anchor has its level.
  const runs = [...(await search(XZ_DEFAULT)).r.runs, ...(await search()).r.runs];
  const cands = [...new Map(runs.map((r) => [r.label, predicted(r)])).values()];
  const anchored = choose(cands, 'aggressive', 'xz/p2');
  assert.equal(anchored.label, 'zstd-1-b1M/p2', anchored.reason);
  assert.match(anchored.reason, /\+25 % of the build's baseline xz\/p2/);
  // The same candidates without the baseline named: the bound is xz -b 1M's, so zstd-1 (30.9 %
  // over xz -b 1M) is out and a higher level is needed.
  const xz1m = choose(cands, 'aggressive');
  assert.equal(xz1m.label, 'zstd-5-b1M/p2', xz1m.reason);
  assert.match(xz1m.reason, /\+25 % of xz -b 1M/);
  // A baseline that was not measured (not among the candidates) leaves the rule on xz -b 1M.
  assert.equal(choose(cands, 'aggressive', 'gzip/p2').label, 'zstd-5-b1M/p2');
  // The other modes do not read the baseline.
  assert.equal(choose(cands, 'conservative', 'xz/p2').label, choose(cands, 'conservative').label);
  assert.equal(choose(cands, 'auto', 'xz/p2').label, choose(cands, 'auto').label);
});
