// The search on real trees with real mksquashfs: -Xbcj x86 tried on machine code when the smallest
// image is asked for, skipped otherwise, ruled out on text (with the reason), the block-size probe and the zstd level bisection recorded as steps, and
// the host's stored measured-vs-predicted pairs read back into the next decision.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tune, type TuneMemory } from '../../agents/performance-tuner/tune.js';
import { addPair, calibrationKey } from '../../agents/performance-tuner/calibration.js';
import { REFERENCE_MARGIN } from '../../agents/performance-tuner/choose.js';
import { makeTree } from './tuner-trees.js';

let scratch = '';
let elfTree = '';
let textTree = '';

function mapMemory(): TuneMemory & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: (k) => map.get(k), set: (k, v) => void map.set(k, structuredClone(v)) };
}

/** Real executables from /usr/bin (machine code), about `bytes` of them. */
function copyExecutables(dest: string, bytes: number): void {
  mkdirSync(dest, { recursive: true });
  let n = 0;
  for (const name of readdirSync('/usr/bin').sort()) {
    if (n >= bytes) break;
    const st = lstatSync(join('/usr/bin', name));
    if (!st.isFile() || st.size < 64 << 10 || st.size > 8 << 20) continue;
    copyFileSync(join('/usr/bin', name), join(dest, name));
    n += st.size;
  }
}

before(() => {
  scratch = mkdtempSync('/tmp/isoswarm-test-search-');
  elfTree = join(scratch, 'elf');
  copyExecutables(elfTree, 12 << 20);
  textTree = join(scratch, 'text');
  makeTree(textTree, 'text', 12 << 20, 5);
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('machine code, conservative: xz -Xbcj x86 is measured; the bisection and the block probe are recorded', async () => {
  const r = await tune(
    { target: elfTree, mode: 'conservative', scratchParent: scratch, limits: { minBytes: 4 << 20 } },
    mapMemory(),
  );
  const labels = r.candidates.map((c) => c.label);
  assert.ok(
    labels.some((l) => l.startsWith('xz-b1M-bcjx86/')),
    `bcj measured: ${labels.join(' ')}`,
  );
  assert.equal(r.record.search?.bcj, 'measured');
  // Conservative keeps its promise: the smallest measured image (ties within 0.5 % go to the fastest).
  const smallest = Math.min(...r.candidates.map((c) => c.predicted.imageBytes));
  assert.ok(r.choice.predicted.imageBytes <= smallest * 1.005, r.choice.reason);
  assert.ok(
    labels.some((l) => /^zstd-3-b1M\//.test(l)),
    'the 1 MiB block probe ran',
  );
  const steps = r.record.search?.steps ?? [];
  assert.ok(
    steps.some((s) => /^zstd blocks: /.test(s)),
    steps.join('\n'),
  );
  assert.ok(
    steps.some((s) => /^zstd level bisection .* -> /.test(s)),
    steps.join('\n'),
  );
  // Every zstd level the bisection names was measured for real.
  const bis = steps.find((s) => s.startsWith('zstd level bisection')) as string;
  for (const m of bis.matchAll(/ (\d+):[\d.]+ %/g))
    assert.ok(
      labels.some((l) => l.startsWith(`zstd-${m[1]}`)),
      `level ${m[1]} measured`,
    );
  for (const c of r.candidates) assert.ok(c.run.imageBytes > 0 && c.run.wallMs > 0, `${c.label} ran`);
});

test('machine code, aggressive: -Xbcj skipped; the choice is the fastest within +25 % of xz -b 1M; conservative measures again', async () => {
  const memory = mapMemory();
  const r = await tune(
    { target: elfTree, mode: 'aggressive', treeKeyed: true, scratchParent: scratch, limits: { minBytes: 4 << 20 } },
    memory,
  );
  const labels = r.candidates.map((c) => c.label);
  assert.ok(!labels.some((l) => l.includes('bcj')), labels.join(' '));
  assert.equal(r.record.search?.bcj, 'skipped');
  assert.match(r.record.pruned.find((p) => p.label.includes('bcj'))?.reason ?? '', /^not asked/);
  const xz = r.candidates.find((c) => c.label === `xz-b1M/p${r.fingerprint.threads}`);
  assert.ok(xz, 'xz -b 1M measured: it anchors the bound');
  const limit = (xz.predicted.imageBytes * 1.25) / (1 + REFERENCE_MARGIN);
  assert.ok(r.choice.predicted.imageBytes <= limit, r.choice.reason);
  const faster = r.candidates.filter(
    (c) => c.predicted.imageBytes <= limit && c.predicted.buildMs < r.choice.predicted.buildMs,
  );
  assert.deepEqual(
    faster.map((c) => c.label),
    [],
    'nothing within the bound is faster',
  );
  assert.match(r.choice.reason, /\+25 % of xz -b 1M/);
  // The stored record skipped -Xbcj: a conservative question measures again instead of reusing it.
  const again = await tune(
    { target: elfTree, mode: 'conservative', treeKeyed: true, scratchParent: scratch, limits: { minBytes: 4 << 20 } },
    memory,
  );
  assert.equal(again.fastPath, false);
  assert.match(again.reuse.reason, /skipped xz -Xbcj x86/);
  assert.ok(again.candidates.some((c) => c.label.includes('bcj')));
  // ... and that record (bcj measured) serves a later aggressive question without measuring.
  const third = await tune(
    { target: elfTree, mode: 'aggressive', treeKeyed: true, scratchParent: scratch, limits: { minBytes: 4 << 20 } },
    memory,
  );
  assert.equal(third.fastPath, true, third.reuse.reason);
});

test('text: -Xbcj is ruled out by the ELF share, with the reason', async () => {
  const r = await tune({ target: textTree, mode: 'aggressive', scratchParent: scratch }, mapMemory());
  const bcj = r.record.pruned.find((p) => p.label.startsWith('xz-b1M-bcjx86/'));
  assert.ok(bcj, 'bcj listed as pruned');
  assert.match(bcj.reason, /ELF share of the sample 0\.0 %/);
});

test("stored measured-vs-predicted pairs scale the next decision's time predictions", async () => {
  const memory = mapMemory();
  const first = await tune({ target: textTree, mode: 'aggressive', scratchParent: scratch }, memory);
  assert.deepEqual(first.timeFactors, { byComp: {}, all: null });
  const zstd = first.candidates.find((c) => c.choice.comp === 'zstd');
  assert.ok(zstd);
  // A full build of that choice took twice what was predicted (as the shim or the bench stores it).
  const key = calibrationKey(first.fingerprint.id);
  memory.map.set(
    key,
    addPair(undefined, first.fingerprint.id, {
      label: zstd.label,
      comp: 'zstd',
      predictedMs: 1000,
      measuredMs: 2000,
      predictedBytes: 1,
      measuredBytes: 1,
      cpuMs: null,
      at: new Date().toISOString(),
      source: 'test',
    }),
  );
  const second = await tune({ target: textTree, mode: 'aggressive', scratchParent: scratch }, memory);
  assert.equal(second.fastPath, true, 'the measurement itself is reused');
  assert.equal(second.timeFactors.byComp.zstd?.factor, 2);
  const again = second.candidates.find((c) => c.label === zstd.label);
  assert.equal(again?.timeFactor, 2);
  // A pair stored before the load model (no CPU, no load) scales the sample's own wall prediction.
  const sampleWall = (c: (typeof first.candidates)[number] | undefined) =>
    c?.wall?.sampleWallMs ?? c?.predicted.buildMs;
  assert.equal(again?.predicted.buildMs, (sampleWall(zstd) ?? 0) * 2);
  const other = second.candidates.find((c) => c.choice.comp === 'lz4');
  assert.equal(
    other?.predicted.buildMs,
    Math.round((sampleWall(first.candidates.find((c) => c.label === other?.label)) ?? 0) * 2),
    'no lz4 pairs: the all-compressor factor applies',
  );
  // The first decision had no pairs: its wall times came from the sample's CPU and the load seen.
  assert.equal(zstd.wall?.model, 'cpu-load');
  assert.equal(zstd.wall?.loadPairs, 0);
  assert.ok(first.load && first.load.nproc >= 1, 'the load the prediction was made for is reported');
  // A pair with CPU and load: the load model takes over, with that build's CPU factor.
  const [old] = (memory.map.get(key) as { pairs: object[] }).pairs;
  memory.map.set(
    key,
    addPair({ ...(memory.map.get(key) as object) }, first.fingerprint.id, {
      ...(old as Parameters<typeof addPair>[2]),
      predictedCpuMs: zstd.predicted.cpuMs ?? 1,
      cpuMs: (zstd.predicted.cpuMs ?? 1) * 2,
      measuredMs: zstd.predicted.cpuMs ?? 1,
      processors: zstd.choice.processors,
      nproc: first.load?.nproc ?? 2,
      load1: first.load?.load1 ?? 0,
      stealShare: 0,
    }),
  );
  const third = await tune({ target: textTree, mode: 'aggressive', scratchParent: scratch }, memory);
  const z3 = third.candidates.find((c) => c.label === zstd.label);
  assert.equal(z3?.timeFactor, undefined, 'no plain factor once load pairs exist');
  assert.equal(z3?.wall?.loadPairs, 1);
  // That build's measured CPU was twice the sample's prediction; the sample's own vote keeps one
  // build from moving the factor all the way (median of x2 and x1).
  assert.equal(z3?.wall?.cpuFactor, 1.5);
  assert.equal(z3?.wall?.cpuMs, Math.round((zstd.predicted.cpuMs ?? 0) * 1.5));
});
