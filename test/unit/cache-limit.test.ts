// The cache limit rule on its own: the record's hit rate, the cache's fill and the disk's room move
// the limit within its bounds; without enough evidence it stays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideLimit } from '../../src/learning/cache-limit.js';

const GiB = 1024 ** 3;
const bounds = { configuredBytes: 4 * GiB, minBytes: GiB, maxBytes: 8 * GiB };
const roomy = { freeBytes: 400 * GiB, totalBytes: 500 * GiB };
const rec = (hits: number, misses: number, limitBytes?: number, last = { hits: 1, misses: 0 }) => ({
  cache: 'apt-archives',
  builds: 4,
  hits,
  misses,
  hitRate: hits / (hits + misses),
  bytesSaved: 1,
  ...(limitBytes ? { limitBytes } : {}),
  lastBuild: last,
});

test('no record or too few uses: the configured limit stays', () => {
  assert.equal(decideLimit(undefined, bounds, 3.9 * GiB, roomy).change, 'keep');
  assert.equal(decideLimit({ ...rec(9, 1), builds: 1 }, bounds, 3.9 * GiB, roomy).limitBytes, 4 * GiB);
});

test('high hits and a full cache grow it (compounding from the stored limit) up to the bound', () => {
  const d = decideLimit(rec(9, 1), bounds, 3.5 * GiB, roomy);
  assert.deepEqual([d.change, d.limitBytes], ['grow', 6 * GiB]);
  assert.equal(decideLimit(rec(9, 1, 6 * GiB), bounds, 5.5 * GiB, roomy).limitBytes, 8 * GiB, 'clamped at max');
  assert.equal(decideLimit(rec(9, 1), bounds, GiB, roomy).change, 'keep', 'a cache far from its limit does not grow');
  const tight = { freeBytes: 76 * GiB, totalBytes: 500 * GiB };
  assert.match(decideLimit(rec(9, 1), bounds, 3.5 * GiB, tight).reason, /no room/);
});

test('rare hits shrink it down to the bound; a disk running low shrinks it whatever the hits', () => {
  const d = decideLimit(rec(1, 9, 4 * GiB, { hits: 0, misses: 3 }), bounds, 3 * GiB, roomy);
  assert.deepEqual([d.change, d.limitBytes], ['shrink', 3 * GiB]);
  assert.equal(decideLimit(rec(0, 9, 1.1 * GiB, { hits: 0, misses: 3 }), bounds, GiB, roomy).limitBytes, GiB);
  const full = decideLimit(rec(9, 1), bounds, 2 * GiB, { freeBytes: 20 * GiB, totalBytes: 500 * GiB });
  assert.equal(full.change, 'shrink');
  assert.equal(full.limitBytes, 1.5 * GiB);
  assert.match(full.reason, /4 % free/);
});

test('the last build weighs as much as the history', () => {
  // 60 % overall, but the last build hit nothing: (0.6 + 0) / 2 = 30 %, kept rather than grown.
  assert.equal(decideLimit(rec(6, 4, undefined, { hits: 0, misses: 5 }), bounds, 3.9 * GiB, roomy).change, 'keep');
});
