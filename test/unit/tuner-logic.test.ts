// Over 250 lines on purpose: the tuner's pure parts are tested side by side with shared fixtures.
// The tuner's pure parts: sampling plan, tree signatures, prediction, the three modes, the
// recommendation and its shell quoting, the learning contract and cache accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { choiceLabel, mksquashfsArgs, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { signatureDistance, similarTree, treeSignature, type TreeScan } from '../../src/host/squashfs/tree-scan.js';
import { planSample, sampleFraction } from '../../src/host/squashfs/tree-sample.js';
import { choose, autoCost } from '../../agents/performance-tuner/choose.js';
import { defaultCandidates } from '../../agents/performance-tuner/candidates.js';
import {
  predictRun,
  type PredictedCandidate,
  type SampleRun,
  type Calibration,
} from '../../agents/performance-tuner/predict.js';
import { formatExports, recommend, shellQuote } from '../../agents/performance-tuner/recommend.js';
import { reuseVerdict, reusable, type TuneRecord } from '../../agents/performance-tuner/learning.js';
import { mergeEffectiveness } from '../../agents/performance-tuner/caches.js';

function syntheticScan(): TreeScan {
  const files = [];
  let total = 0;
  for (let d = 0; d < 40; d++) {
    for (let i = 0; i < 50; i++) {
      const size = 500 + ((d * 7919 + i * 104729) % 60000);
      files.push({ rel: `d${String(d).padStart(2, '0')}/f${String(i).padStart(3, '0')}.txt`, size, ext: 'txt' });
      total += size;
    }
    const mid = 200_000 + d * 10_000;
    files.push({ rel: `d${String(d).padStart(2, '0')}/lib${d}.so`, size: mid, ext: 'so' });
    total += mid;
  }
  for (let b = 0; b < 6; b++) {
    const size = (8 + b * 4) << 20;
    files.push({ rel: `big/blob${b}.bin`, size, ext: 'bin' });
    total += size;
  }
  return { root: '/nonexistent', files, totalBytes: total, dirs: 42, symlinks: 0, others: 0, skippedMounts: [] };
}

test('the sample takes the requested share of bytes, deterministically, with slices of large files', () => {
  const scan = syntheticScan();
  const f = 0.05;
  const a = planSample(scan, f, 'seed-1');
  const b = planSample(scan, f, 'seed-1');
  const c = planSample(scan, f, 'seed-2');
  assert.deepEqual(a, b, 'same seed, same sample');
  assert.notDeepEqual(a.entries, c.entries, 'another seed draws another sample');
  assert.ok(Math.abs(a.bytes / scan.totalBytes - f) < f * 0.2, `share ${a.bytes / scan.totalBytes}`);
  const slices = a.entries.filter((e) => !e.whole);
  assert.ok(slices.length > 0, 'large files contribute slices');
  for (const s of slices) assert.equal(s.offset % (128 << 10), 0, 'slices are block-aligned');
  assert.ok(
    a.entries
      .filter((e) => e.rel.startsWith('big/'))
      .every((e) => !e.whole && e.length <= 256 << 10 && e.offset % (256 << 10) === 0),
    'big files: aligned runs of 256 KiB (a tail may be shorter), never whole',
  );
  // Small files come in runs of neighbours (mksquashfs packs neighbours into shared fragments).
  const small = a.entries
    .filter((e) => e.rel.endsWith('.txt'))
    .map((e) => scan.files.findIndex((x) => x.rel === e.rel));
  const adjacent = small.filter((idx, i) => i > 0 && idx === (small[i - 1] as number) + 1).length;
  assert.ok(
    adjacent >= small.length * 0.7,
    `${adjacent} of ${small.length} small files sit next to another sampled one`,
  );
});

test('sample size bounds: at least minBytes, at most maxBytes, never above the tree', () => {
  const L = { fraction: 0.05, minBytes: 4 << 20, maxBytes: 32 << 20, seed: 's' };
  assert.equal(sampleFraction(2 << 20, L), 1);
  assert.equal(sampleFraction(40 << 20, L), 0.1);
  assert.equal(sampleFraction(200 << 20, L), 0.05);
  assert.equal(sampleFraction(2000 << 20, L), (32 << 20) / (2000 << 20));
});

test('tree signatures: similar within 20 %, different data or size is a material change', () => {
  const scan = syntheticScan();
  const s = treeSignature(scan);
  assert.equal(s.files, scan.files.length);
  assert.equal(signatureDistance(s, s), 0);
  assert.ok(similarTree(s, { ...s, files: Math.round(s.files * 1.1), bytes: Math.round(s.bytes * 1.15) }));
  assert.ok(!similarTree(s, { ...s, bytes: s.bytes * 2 }));
  assert.ok(!similarTree(s, { ...s, ext: { gz: 1 } }), 'a different data mix');
});

const xz1m: SquashChoice = { comp: 'xz', blockSize: 1 << 20, processors: 2 };
function cand(label: string, choice: SquashChoice, s: number, mb: number, rb: number): PredictedCandidate {
  const run: SampleRun = {
    label,
    choice,
    level: 'sample',
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
    label,
    choice,
    run,
    predicted: { buildMs: s * 1000, cpuMs: s * 1000, imageBytes: mb * 1e6, readBackMs: rb * 1000 },
  };
}
// The field-notes measurements (293 MB of real files, 2 processors) as predictions.
const FIELD = [
  cand('gzip/p2', { comp: 'gzip', processors: 2 }, 16.5, 106.7, 0.84),
  cand('xz/p2', { comp: 'xz', processors: 2 }, 28.1, 92.6, 4.3),
  cand('xz-b1M/p2', xz1m, 37.9, 86.3, 4),
  cand('zstd-3/p2', { comp: 'zstd', level: 3, processors: 2 }, 1.1, 109.5, 0.3),
  cand('zstd-9/p2', { comp: 'zstd', level: 9, processors: 2 }, 2.8, 103.4, 0.4),
  cand('zstd-15/p2', { comp: 'zstd', level: 15, processors: 2 }, 14.8, 98.3, 0.36),
  cand('zstd-19/p2', { comp: 'zstd', level: 19, processors: 2 }, 39, 97.6, 0.38),
  cand('lz4/p2', { comp: 'lz4', processors: 2 }, 0.8, 142.6, 0.12),
];

test('modes on the field-notes numbers: conservative smallest, aggressive fastest within +25 %, auto by cost', () => {
  assert.equal(choose(FIELD, 'conservative').label, 'xz-b1M/p2');
  // xz -b 1M 86.3 MB * 1.25 / 1.02 = 105.8 MB: zstd-9 (103.4) qualifies, zstd-3 (109.5) does not.
  assert.equal(choose(FIELD, 'aggressive').label, 'zstd-9/p2');
  const auto = choose(FIELD, 'auto');
  assert.equal(auto.label, 'zstd-3/p2');
  assert.equal(auto.scores['zstd-3/p2'], Math.round(autoCost(FIELD[3] as PredictedCandidate) * 1000) / 1000);
});

test('incompressible data: sizes tie, so conservative takes the fastest instead of xz', () => {
  const flat = FIELD.map((c, i) =>
    cand(c.label, c.choice, c.predicted.buildMs / 1000, 100 + i * 0.01, c.predicted.readBackMs / 1000),
  );
  assert.equal(choose(flat, 'conservative').label, 'lz4/p2');
  assert.equal(choose(flat, 'aggressive').label, 'lz4/p2');
});

test('prediction: fixed cost once, the rest scaled by distinct bytes; sub-sample size corrected', () => {
  const cal: Calibration = {
    overheadMs: 10,
    overheadCpuMs: 5,
    readBackOverheadMs: 2,
    subsampleSizeCorrection: 0.9,
    uniqueShare: 0.8,
  };
  const run: SampleRun = {
    label: 'x',
    choice: xz1m,
    level: 'sample',
    sampleBytes: 1000,
    uniqueBytes: 800,
    sampleFiles: 3,
    wallMs: 110,
    cpuMs: 205,
    imageBytes: 400,
    readBackMs: 22,
    runs: 1,
  };
  // tree 10000 B, 80 % distinct = 8000 distinct bytes; the sample held 800 distinct: scale 10.
  assert.deepEqual(predictRun(run, cal, 10_000), {
    buildMs: 10 + 100 * 10,
    cpuMs: 5 + 200 * 10,
    imageBytes: 4000,
    readBackMs: 2 + 20 * 10,
  });
  assert.equal(predictRun({ ...run, level: 'subsample' }, cal, 10_000).imageBytes, 3600);
});

test('candidates: the default list, labels and mksquashfs arguments', () => {
  const list = defaultCandidates(2);
  assert.deepEqual(
    list.map((c) => c.label).sort(),
    [
      'gzip/p2',
      'lz4/p2',
      'xz-b1M/p2',
      'xz/p2',
      'zstd-15/p2',
      'zstd-19/p2',
      'zstd-3/p1',
      'zstd-3/p2',
      'zstd-9/p2',
    ].sort(),
  );
  assert.equal(defaultCandidates(1).length, 8, 'no one-processor duplicate on one processor');
  assert.deepEqual(mksquashfsArgs({ comp: 'zstd', level: 9, processors: 4 }), [
    '-comp',
    'zstd',
    '-Xcompression-level',
    '9',
    '-processors',
    '4',
  ]);
  assert.deepEqual(mksquashfsArgs(xz1m), ['-comp', 'xz', '-b', '1M', '-processors', '2']);
  assert.equal(choiceLabel(xz1m), 'xz-b1M/p2');
  const z19 = list.find((c) => c.label === 'zstd-19/p2');
  const mk = (label: string, choice: SquashChoice, img: number): SampleRun => ({
    label,
    choice,
    level: 'subsample',
    sampleBytes: 1000,
    uniqueBytes: 1000,
    sampleFiles: 1,
    wallMs: 1,
    cpuMs: 1,
    imageBytes: img,
    readBackMs: 1,
    runs: 1,
  });
  const far = [mk('xz-b1M/p2', xz1m, 300), mk('zstd-15/p2', { comp: 'zstd', level: 15, processors: 2 }, 340)];
  assert.match(z19?.pruneIf?.(far) ?? '', /larger than xz/);
  const near = [mk('xz-b1M/p2', xz1m, 300), mk('zstd-15/p2', { comp: 'zstd', level: 15, processors: 2 }, 305)];
  assert.equal(z19?.pruneIf?.(near), null, 'zstd-19 measured when it could be the smallest');
});

test('recommendation: jobs capped by memory, tmpfs only with 2x the tree free, exports survive a real shell', () => {
  const r = recommend(
    { comp: 'zstd', level: 9, processors: 8 },
    { threads: 8, memAvailableBytes: 3 * 2 ** 30 },
    2 ** 30,
  );
  assert.equal(r.parallelJobs, 3);
  assert.equal(r.makeflags, '-j3');
  assert.equal(r.xzDefaults, '-T0');
  assert.equal(r.mksquashfsOpts, '-comp zstd -Xcompression-level 9 -processors 8');
  assert.equal(r.tmpfs.recommended, true);
  assert.equal(
    recommend({ comp: 'gzip', processors: 1 }, { threads: 1, memAvailableBytes: 2 ** 30 }, 2 ** 30).tmpfs.recommended,
    false,
  );
  const tricky = { ...r, mksquashfsOpts: `-comp zstd -e 'it''s' $(touch /tmp/pwned) \`x\` "q"` };
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  const out = spawnSync(
    'bash',
    ['-c', 'eval "$(cat)"; printf "%s\\n%s\\n%s" "$MKSQUASHFS_OPTS" "$MAKEFLAGS" "$ZSTD_NBTHREADS"'],
    { input: formatExports(tricky), encoding: 'utf8' },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, `${tricky.mksquashfsOpts}\n-j3\n3`);
});

function record(over: Partial<TuneRecord> = {}): TuneRecord {
  const sig = treeSignature(syntheticScan());
  return {
    fingerprintId: 'abc123def456',
    treeSignature: sig,
    mode: 'auto',
    candidates: [{ ...FIELD[0]!.run, predicted: FIELD[0]!.predicted }],
    calibration: { overheadMs: 5, overheadCpuMs: 2, readBackOverheadMs: 1, subsampleSizeCorrection: 1, uniqueShare: 1 },
    pruned: [],
    dedup: { uniqueShare: 1, hashedFiles: 0, hashedBytes: 0, complete: true },
    choice: { label: 'gzip/p2', mksquashfsOpts: '-comp gzip -processors 2', reason: 'r' },
    predicted: FIELD[0]!.predicted,
    sample: { fraction: 0.05, files: 1, bytes: 1, subsampleBytes: 1 },
    samplingMs: 1,
    budget: { xz1mPredictedMs: null, budgetMs: null, withinBudget: null },
    measuredAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

test('reuse: same host, similar tree, not stale; anything else measures again', () => {
  const r = record();
  const sig = r.treeSignature;
  const soon = new Date('2026-01-02T00:00:00.000Z');
  assert.equal(reusable(r, sig, soon), true);
  assert.equal(reusable(r, sig, new Date('2026-03-01T00:00:00.000Z')), false, 'stale after 30 days');
  assert.equal(reusable(r, sig, soon, 3600_000), false, 'stale after a custom max age');
  assert.equal(reusable(r, { ...sig, bytes: sig.bytes * 3 }, soon), false, 'tree changed');
  assert.match(reuseVerdict(r, sig, soon, undefined, 'other').reason, /other/);
  assert.equal(reusable({ fingerprintId: 'x' }, sig, soon), false, 'unknown shape');
  assert.equal(reusable(undefined, sig, soon), false);
});

test('cache effectiveness accumulates across builds', () => {
  const b1 = {
    cache: 'apt-archives',
    hits: 0,
    misses: 10,
    bytesSaved: 0,
    bytesDownloaded: 1000,
    evicted: 0,
    sizeBytes: 1000,
    limitBytes: 5000,
    tracking: 'atime' as const,
  };
  const b2 = { ...b1, hits: 9, misses: 1, bytesSaved: 900, bytesDownloaded: 100, sizeBytes: 1100 };
  const r1 = mergeEffectiveness(undefined, b1, new Date(0));
  const r2 = mergeEffectiveness(r1, b2, new Date(1000));
  assert.equal(r2.builds, 2);
  assert.equal(r2.hits, 9);
  assert.equal(r2.misses, 11);
  assert.equal(r2.hitRate, 9 / 20);
  assert.equal(r2.bytesSaved, 900);
  assert.equal(r2.lastBuild.hits, 9);
  assert.equal(
    mergeEffectiveness({ cache: 'other', builds: 7 }, b1).builds,
    1,
    'a record of another cache is not merged',
  );
});
