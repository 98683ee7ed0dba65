// The farm's merge rules (docs/farm.md): counts add, the newest measurement wins, host-specific
// records stay keyed by host, and an event is applied exactly once however often it is sent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appliedOf, foldPending, kvKeyOf, memKeyOf, type Pending } from '../../src/farm/pattern-merge.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';

const use = (hits: number): LearningEvent => ({
  kind: 'cache-use',
  cache: 'apt-archives',
  hits,
  misses: 1,
  bytesSaved: 10,
  bytesDownloaded: 0,
  evicted: 0,
  sizeBytes: 0,
  limitBytes: 0,
  tracking: 'lookup',
});
const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
const ev = (seq: number, event: LearningEvent, key = 'optimization/caching-effectiveness/apt-archives'): Pending => ({
  seq,
  key,
  event,
  at: at(seq),
});

describe('farm merge rules', () => {
  test('counts add across hosts, each event once', () => {
    let v = foldPending(undefined, 'a', [ev(1, use(2)), ev(2, use(3))]);
    v = foldPending(v, 'b', [ev(1, use(5))]);
    // Sent again (a retry after a lost acknowledgement): nothing is added twice.
    v = foldPending(v, 'a', [ev(1, use(2)), ev(2, use(3))]);
    v = foldPending(v, 'b', [ev(1, use(5)), ev(2, use(1))]);
    const r = v as { hits: number; misses: number; builds: number };
    assert.deepEqual({ hits: r.hits, misses: r.misses, builds: r.builds }, { hits: 11, misses: 4, builds: 4 });
    assert.equal(appliedOf(v, 'a'), 2);
    assert.equal(appliedOf(v, 'b'), 2);
  });

  test('the newest measurement wins per fingerprint', () => {
    const key = 'optimization/parallel-config/h1/tree-20-so';
    const rec = (measuredAt: string, jobs: number) => ({
      fingerprintId: 'h1/tree-20-so',
      choice: { jobs },
      candidates: [],
      measuredAt,
      updatedAt: measuredAt,
    });
    const newer = { kind: 'put', key, value: rec(at(30), 8) } as LearningEvent;
    const older = { kind: 'put', key, value: rec(at(10), 2) } as LearningEvent;
    let v = foldPending(undefined, 'a', [ev(1, newer, key)]);
    v = foldPending(v, 'b', [ev(1, older, key)]);
    assert.deepEqual((v as { choice: unknown }).choice, { jobs: 8 });
    assert.equal(appliedOf(v, 'b'), 1, 'the older put is seen (and dropped), not retried forever');
  });

  test('host-specific records are keyed by host; shared ones are not; keys round-trip', () => {
    assert.equal(kvKeyOf('optimization/resource-management', 'a'), 'h.a.optimization/resource-management');
    assert.notEqual(kvKeyOf('optimization/resource-management', 'a'), kvKeyOf('optimization/resource-management', 'b'));
    assert.equal(
      kvKeyOf('optimization/unmount-strategies/ext4', 'a'),
      kvKeyOf('optimization/unmount-strategies/ext4', 'b'),
    );
    for (const k of ['optimization/cleanup-success/srv/build.x/ä b', 'optimization/resource-management'])
      for (const h of ['a', 'b']) {
        const kk = kvKeyOf(k, h);
        assert.match(kk, /^[-/_=.A-Za-z0-9]+$/);
        assert.equal(memKeyOf(kk)?.key, k);
      }
  });
});
