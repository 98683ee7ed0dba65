// How often an agent checks its supervisor: a twentieth of its grace period, within 250 ms - 2 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ORPHAN_GRACE_MS, pollFor } from '../../src/runtime/guardian.js';

test('the default grace polls every 2 s, short graces every 250 ms, between them 1/20 of the grace', () => {
  assert.equal(pollFor(DEFAULT_ORPHAN_GRACE_MS), 2000);
  assert.equal(pollFor(1500), 250);
  assert.equal(pollFor(0), 250);
  assert.equal(pollFor(10_000), 500);
  assert.equal(pollFor(3_600_000), 2000);
});
