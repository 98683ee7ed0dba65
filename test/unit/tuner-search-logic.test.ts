// The search's and the modes' choice logic on the ratios of a real binary tree (issue 11: a 707 MB
// copy of /usr/lib/x86_64-linux-gnu, sample ratios as the tuner measured them): the aggressive bound
// is anchored to xz -b 1M, not to the smallest setting, -Xbcj x86 is measured only when asked, and
// conservative still takes the smallest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choiceLabel, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { aggressiveBound, searchCandidates } from '../../agents/performance-tuner/search.js';
import { choose, REFERENCE_MARGIN } from '../../agents/performance-tuner/choose.js';
import { type PredictedCandidate, type SampleRun } from '../../agents/performance-tuner/predict.js';

// image/bytes on the sample and CPU ms, per setting (zstd levels at 1 MiB blocks; 128 KiB for level 3).
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
const XZ = 0.3133;

function fakeRun(c: SquashChoice): SampleRun {
  const [ratio, cpu] =
    c.comp === 'lz4'
      ? [0.56, 40]
      : c.comp === 'gzip'
        ? [0.3965, 1900]
        : c.comp === 'xz'
          ? c.bcj
            ? [0.2976, 8087]
            : [XZ, 3932]
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

async function search(opts: { bcj?: boolean; extra?: SquashChoice[]; elfShare?: number }) {
  const probed: string[] = [];
  const r = await searchCandidates({
    nproc: 2,
    elfShare: opts.elfShare ?? 0.9,
    probe: async (c) => {
      probed.push(choiceLabel(c));
      return fakeRun(c);
    },
    ratio: (run) => run.imageBytes / run.uniqueBytes,
    ...(opts.bcj ? { bcj: true } : {}),
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
  return { r, probed };
}

test('the aggressive bound is +25 % of xz -b 1M less the margin, not of the smallest (-Xbcj) setting', async () => {
  assert.equal(aggressiveBound(XZ), (XZ * 1.25) / (1 + REFERENCE_MARGIN));
  const { r, probed } = await search({ bcj: true });
  // The smallest is xz -Xbcj (0.2976): anchored there the bound (0.3647) would force zstd >= 16.
  assert.ok(probed.includes('xz-b1M-bcjx86/p2'));
  assert.equal(r.zstdLevel, 5, r.steps.join('\n'));
  assert.ok(ZSTD[5]![0] <= aggressiveBound(XZ) && ZSTD[4]![0] > aggressiveBound(XZ), 'the lowest passing level');
  assert.match(r.steps.join('\n'), /bound 38\.4 % \(xz -b 1M 31\.3 % \+25 %, less 2 % margin\)/);
});

test('-Xbcj x86 is skipped unless asked (with the reason), and never on text; gzip only when named', async () => {
  const plain = await search({});
  assert.ok(!plain.probed.some((l) => l.includes('bcj')), plain.probed.join(' '));
  assert.ok(!plain.probed.some((l) => l.startsWith('gzip')), 'gzip is not a reference any more');
  assert.equal(plain.r.bcj, 'skipped');
  assert.match(plain.r.pruned.find((p) => p.label.includes('bcj'))?.reason ?? '', /^not asked: /);
  const text = await search({ bcj: true, elfShare: 0.01 });
  assert.equal(text.r.bcj, 'no machine code');
  assert.ok(!text.probed.some((l) => l.includes('bcj')));
  const asked = await search({ extra: [{ comp: 'gzip', processors: 2 }] });
  assert.ok(asked.probed.includes('gzip/p2'), 'a setting the script asked for is measured');
});

test('the bisection measures few levels: cheap ones, and never zstd-19 far from the smallest', async () => {
  const { probed } = await search({});
  const levels = probed.filter((l) => /^zstd-\d+-b1M\/p2$/.test(l));
  assert.ok(levels.length <= 6, levels.join(' '));
  assert.ok(!probed.includes('zstd-19-b1M/p2'));
});

function predicted(run: SampleRun): PredictedCandidate {
  const scale = 70;
  return {
    label: run.label,
    choice: run.choice,
    run,
    predicted: {
      buildMs: Math.round(run.wallMs * scale),
      cpuMs: (run.cpuMs ?? 0) * scale,
      imageBytes: run.imageBytes * scale,
      readBackMs: run.readBackMs * scale,
    },
  };
}

test('modes on the searched candidates: aggressive anchored to xz -b 1M, conservative the smallest', async () => {
  const { r } = await search({ bcj: true });
  const cands = r.runs.map(predicted);
  const aggr = choose(cands, 'aggressive');
  assert.equal(aggr.label, 'zstd-5-b1M/p2', aggr.reason);
  assert.match(aggr.reason, /\+25 % of xz -b 1M/);
  assert.equal(choose(cands, 'conservative').label, 'xz-b1M-bcjx86/p2');
  // Without an xz -b 1M measurement the rule falls back to the smallest, with the wider margin.
  const noXz = cands.filter((c) => c.label !== 'xz-b1M/p2');
  assert.match(choose(noXz, 'aggressive').reason, /\+25 % of the smallest/);
});
