// The pool of large-file pieces, thinned by compressibility: the kept share is the sample's fraction
// (also when the pool was capped at the whole file), and the kept pieces span the range of
// compressibility instead of falling on one end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { scanTree } from '../../src/host/squashfs/tree-scan.js';
import { planSample } from '../../src/host/squashfs/tree-sample.js';
import { stratifySample } from '../../src/host/squashfs/tree-sample-strata.js';

let scratch = '';
let tree = '';
const PIECE = 256 << 10;

before(() => {
  scratch = mkdtempSync('/tmp/isoswarm-test-strata-');
  tree = join(scratch, 'tree');
  mkdirSync(tree);
  // 16 MiB: every third piece random (incompressible), the others zeros (compressible).
  const parts: Buffer[] = [];
  for (let i = 0; i < 64; i++) parts.push(i % 3 === 0 ? randomBytes(PIECE) : Buffer.alloc(PIECE));
  writeFileSync(join(tree, 'big.bin'), Buffer.concat(parts));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

for (const fraction of [0.125, 0.5]) {
  test(`fraction ${fraction}: the kept share of the large file is the fraction, both kinds of piece kept`, async () => {
    const scan = await scanTree(tree);
    const pool = planSample(scan, fraction, 'seed', { oversample: 4 });
    assert.ok((pool.oversample ?? 1) * fraction <= 1, 'the pool never exceeds the file');
    const { plan, strata } = stratifySample(tree, pool, 'seed');
    const kept = plan.entries.filter((e) => e.rel === 'big.bin');
    const bytes = kept.reduce((a, e) => a + e.length, 0);
    assert.ok(Math.abs(bytes / (16 << 20) - fraction) <= PIECE / (16 << 20) + 1e-9, `kept ${bytes} B`);
    assert.equal(strata.kept, kept.length);
    assert.ok(kept.every((e) => e.pool === undefined && e.offset % PIECE === 0));
    const zeros = kept.filter((e) => (e.offset / PIECE) % 3 !== 0).length;
    assert.ok(zeros > 0 && zeros < kept.length, `compressible ${zeros} of ${kept.length}: both ends kept`);
  });
}
