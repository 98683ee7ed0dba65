// Whether the root cache asks the farm on a local miss, read from the farm's own record.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FARM_SKIP_AFTER, farmWorthAsking, REPROBE_MS } from '../../agents/performance-tuner/root-farm.js';

describe('root cache: asking the farm', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const rec = (hits: number, misses: number, ageMs: number) => ({
    hits,
    misses,
    updatedAt: new Date(now - ageMs).toISOString(),
  });

  test('asks without a record, with a hit, or with too few lookups', () => {
    assert.equal(farmWorthAsking(undefined, now).ask, true);
    assert.equal(farmWorthAsking(rec(1, 500, 0), now).ask, true);
    assert.equal(farmWorthAsking(rec(0, FARM_SKIP_AFTER - 1, 0), now).ask, true);
  });

  test('skips a farm that missed every one of enough lookups, until the last is a day old', () => {
    const d = farmWorthAsking(rec(0, FARM_SKIP_AFTER, 60_000), now);
    assert.equal(d.ask, false);
    assert.deepEqual(d.evidence, {
      hits: 0,
      misses: FARM_SKIP_AFTER,
      lastLookupAt: new Date(now - 60_000).toISOString(),
    });
    assert.equal(farmWorthAsking(rec(0, FARM_SKIP_AFTER, REPROBE_MS + 1), now).ask, true);
  });
});
