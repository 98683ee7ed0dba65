// The unmount order's reducer: moving success rate, ageing toward the prior, bounded exploration,
// and a mount source that behaves differently from its file system type.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addUnmountAttempt } from '../../src/learning/reducers.js';
import { chooseStrategies, EXPLORE_EVERY, RATE_HALF_LIFE_MS } from '../../src/learning/unmount-order.js';
import { validateRecord } from '../../src/schemas/memory-records.js';

const KNOWN = ['umount', 'umount-after-settle'];
type Rec = ReturnType<typeof addUnmountAttempt>;

function attempt(r: Rec | undefined, strategy: string, ok: boolean, at: number, source = 'dev'): Rec {
  return addUnmountAttempt(
    r,
    { fsType: 'tmpfs', source, strategy, ok, ms: strategy === 'umount' ? 3 : 250 },
    new Date(at).toISOString(),
  );
}

test('one failure puts settle first; it ages back toward the prior over days', () => {
  const t0 = Date.now();
  let r = attempt(undefined, 'umount', false, t0);
  r = attempt(r, 'umount-after-settle', true, t0);
  assert.deepEqual(chooseStrategies(r, KNOWN, undefined, t0).order, ['umount-after-settle', 'umount']);
  // Weeks later the failure no longer decides: rates meet near the prior and speed wins.
  assert.deepEqual(chooseStrategies(r, KNOWN, undefined, t0 + 6 * RATE_HALF_LIFE_MS).order, KNOWN);
  assert.equal(validateRecord('optimization/unmount-strategies/tmpfs', r).ok, true);
});

test('the displaced default is explored once every few attempts, and successes bring it back', () => {
  const t = Date.now();
  let r = attempt(attempt(undefined, 'umount', false, t), 'umount-after-settle', true, t);
  for (let i = 1; i < EXPLORE_EVERY; i++) {
    const c = chooseStrategies(r, KNOWN, undefined, t);
    assert.equal(c.explored, null);
    r = attempt(r, c.order[0]!, true, t);
  }
  const c = chooseStrategies(r, KNOWN, undefined, t);
  assert.equal(c.explored, 'umount');
  assert.equal(c.order[0], 'umount');
  for (let i = 0; i < 4; i++) r = attempt(r, 'umount', true, t);
  const back = chooseStrategies(r, KNOWN, undefined, t);
  assert.deepEqual([back.order, back.explored], [KNOWN, null]);
});

test('a source that fails where its type works gets its own order', () => {
  const t = Date.now();
  let r: Rec | undefined;
  for (let i = 0; i < 3; i++) r = attempt(r, 'umount', true, t, 'healthy');
  r = attempt(r, 'umount', false, t, 'sticky');
  r = attempt(r, 'umount-after-settle', true, t, 'sticky');
  for (let i = 0; i < 3; i++) r = attempt(r, 'umount', true, t, 'healthy');
  const sticky = chooseStrategies(r, KNOWN, 'sticky', t);
  assert.deepEqual([sticky.order[0], sticky.basis], ['umount-after-settle', 'source']);
  assert.deepEqual(chooseStrategies(r, KNOWN, 'healthy', t).order, KNOWN);
  assert.deepEqual(chooseStrategies(r, KNOWN, 'never-seen', t).order, KNOWN);
});
