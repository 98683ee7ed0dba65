// Pure memory logic: filters, reducers, strategy ordering and record validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matches, parseFilter } from '../../src/memory/query.js';
import {
  addCacheUse,
  addCleanupOutcome,
  addSummaryEntry,
  addUnmountAttempt,
  orderStrategies,
} from '../../src/learning/reducers.js';
import { memoryKeySchema, validateRecord } from '../../src/schemas/memory-records.js';

test('filters compare numbers as numbers and strings as strings', () => {
  const v = { fsType: 'tmpfs', strategies: { umount: { successes: 3 } }, name: 'a.b' };
  assert.ok(matches(v, parseFilter('strategies.umount.successes>=3')));
  assert.ok(!matches(v, parseFilter('strategies.umount.successes>3')));
  assert.ok(matches(v, parseFilter('fsType=tmpfs')));
  assert.ok(matches(v, parseFilter('fsType!=proc')));
  assert.ok(matches(v, parseFilter('name~.b')));
  assert.ok(!matches(v, parseFilter('missing=1')));
  assert.throws(() => parseFilter('no operator here'), /bad filter/);
});

test('unmount attempts accumulate and order strategies by success, then speed', () => {
  const now = new Date().toISOString();
  let r = addUnmountAttempt(undefined, { fsType: 'tmpfs', strategy: 'umount', ok: false, ms: 5, error: 'busy' }, now);
  r = addUnmountAttempt(r, { fsType: 'tmpfs', strategy: 'umount-after-settle', ok: true, ms: 210 }, now);
  r = addUnmountAttempt(r, { fsType: 'tmpfs', strategy: 'umount', ok: true, ms: 3 }, now);
  assert.deepEqual(
    { ...r.strategies.umount, lastAt: undefined },
    { attempts: 2, successes: 1, totalMs: 8, rate: 0.5, avgMs: 4, lastAt: undefined, lastOk: true, idle: 0 },
  );
  assert.equal(validateRecord('optimization/unmount-strategies/tmpfs', r).ok, true);
  assert.deepEqual(orderStrategies(r, ['umount', 'umount-after-settle']), ['umount-after-settle', 'umount']);
  assert.deepEqual(orderStrategies(undefined, ['umount', 'umount-after-settle']), ['umount', 'umount-after-settle']);
});

test('cleanup outcomes, cache use and summaries keep their counts and validate', () => {
  const now = new Date().toISOString();
  const c = addCleanupOutcome(
    addCleanupOutcome(undefined, { target: '/srv/c', status: 'done', bytesFreed: 10, durationMs: 5 }, now),
    { target: '/srv/c', status: 'refused', bytesFreed: 0, durationMs: 1 },
    now,
  );
  assert.equal(c.runs, 2);
  assert.equal(c.refusals, 1);
  assert.equal(validateRecord('optimization/cleanup-success/srv/c', c).ok, true);
  const use = (hits: number, misses: number, bytesSaved: number) => ({
    cache: 'apt',
    hits,
    misses,
    bytesSaved,
    bytesDownloaded: 0,
    evicted: 0,
    sizeBytes: 0,
    limitBytes: 0,
    tracking: 'atime' as const,
  });
  const k = addCacheUse(addCacheUse(undefined, use(3, 1, 100), now), use(4, 0, 50), now);
  assert.equal(k.hitRate, 7 / 8);
  // A build whose hits could not be seen adds its downloads, not misses to the hit rate.
  const blind = addCacheUse(k, { ...use(0, 5, 0), bytesDownloaded: 900, tracking: 'unavailable' }, now);
  assert.equal(blind.hitRate, 7 / 8);
  assert.equal(blind.bytesDownloaded, 900);
  assert.equal(blind.builds, 3);
  let s = addSummaryEntry(undefined, { what: 'x' }, { refusals: 1 }, now);
  for (let i = 0; i < 60; i++) s = addSummaryEntry(s, { i }, { refusals: 1 }, now);
  assert.equal(s.entries.length, 50);
  assert.equal(s.totals.refusals, 61);
  assert.equal(validateRecord('optimization/error-prevention', s).ok, true);
});

test('records under optimization/ must match a named pattern', () => {
  assert.equal(validateRecord('builds/anything', 42).ok, true);
  assert.equal(validateRecord('optimization/made-up/x', {}).ok, false);
  assert.equal(validateRecord('optimization/unmount-strategies', {}).ok, false);
  assert.equal(validateRecord('optimization/unmount-strategies/tmpfs', { fsType: 'tmpfs' }).ok, false);
  assert.equal(memoryKeySchema.safeParse('a b').success, false);
  assert.equal(memoryKeySchema.safeParse('/abs').success, false);
  assert.equal(memoryKeySchema.safeParse('a//b').success, false);
  assert.equal(memoryKeySchema.safeParse('optimization/unmount-strategies/devpts').success, true);
});
