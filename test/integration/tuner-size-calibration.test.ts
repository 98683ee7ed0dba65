// The per-host size calibration on a real tree with real mksquashfs: a stored pair saying zstd's
// full image came out larger than predicted raises zstd's later size predictions and changes the
// aggressive choice; the factor is per compressor (xz's predictions stay as they were).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tune, type TuneMemory } from '../../agents/performance-tuner/tune.js';
import { addPair, calibrationKey } from '../../agents/performance-tuner/calibration.js';
import { makeTree } from './tuner-trees.js';

let scratch = '';
let tree = '';

function mapMemory(): TuneMemory & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: (k) => map.get(k), set: (k, v) => void map.set(k, structuredClone(v)) };
}

before(() => {
  scratch = mkdtempSync('/tmp/isoswarm-test-sizecal-');
  tree = join(scratch, 'text');
  makeTree(tree, 'text', 12 << 20, 7);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

test('a stored measured-vs-predicted size pair changes a later aggressive choice', async () => {
  const memory = mapMemory();
  const first = await tune({ target: tree, mode: 'aggressive', scratchParent: scratch }, memory);
  assert.deepEqual(first.sizeFactors, { byComp: {} });
  assert.equal(first.choice.choice.comp, 'zstd', `first choice ${first.choice.label}: ${first.choice.reason}`);
  // The full build of that choice came out a quarter larger than predicted (as the shim stores it).
  memory.map.set(
    calibrationKey(first.fingerprint.id),
    addPair(undefined, first.fingerprint.id, {
      label: first.choice.label,
      comp: 'zstd',
      predictedMs: first.choice.predicted.buildMs,
      measuredMs: first.choice.predicted.buildMs,
      predictedBytes: 1_000_000,
      measuredBytes: 1_250_000,
      cpuMs: null,
      at: new Date().toISOString(),
      source: 'test',
    }),
  );
  const second = await tune({ target: tree, mode: 'aggressive', scratchParent: scratch }, memory);
  assert.equal(second.fastPath, true, 'the measurement itself is reused');
  assert.equal(second.sizeFactors.byComp.zstd?.factor, 1.25);
  const was = first.candidates.find((c) => c.label === first.choice.label);
  const now = second.candidates.find((c) => c.label === first.choice.label);
  assert.equal(now?.sizeFactor, 1.25);
  assert.ok(
    Math.abs((now?.predicted.imageBytes ?? 0) - (was?.predicted.imageBytes ?? 0) * 1.25) <= 1,
    'zstd predictions scaled by the factor',
  );
  const xz = (r: typeof first) => r.candidates.find((c) => c.label.startsWith('xz-b1M/'));
  assert.equal(xz(second)?.predicted.imageBytes, xz(first)?.predicted.imageBytes, 'no xz pairs: xz unchanged');
  assert.notEqual(second.choice.label, first.choice.label, `the pair changed the choice: ${second.choice.reason}`);
});
