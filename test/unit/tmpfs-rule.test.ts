// The tmpfs work-dir rule shared by the tuner's recommendation and `run --tmpfs-workdir`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tmpfsAdvice, tmpfsSizeFor } from '../../src/learning/tmpfs-rule.js';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

test('the size is the tree +25 %, rounded up to whole MiB', () => {
  assert.equal(tmpfsSizeFor(100 * MIB), 125 * MIB);
  assert.equal(tmpfsSizeFor(3 * MIB + 1), 4 * MIB);
});

test('recommended only when MemAvailable holds the tree twice', () => {
  const yes = tmpfsAdvice(4 * GIB, 2 * GIB);
  assert.equal(yes.recommended, true);
  assert.equal(yes.needBytes, 4 * GIB);
  assert.equal(yes.sizeBytes, tmpfsSizeFor(2 * GIB));
  const no = tmpfsAdvice(4 * GIB - 1, 2 * GIB);
  assert.equal(no.recommended, false);
  assert.equal(no.sizeBytes, 0);
  assert.match(no.reason, /< 2 x tree/);
  assert.equal(tmpfsAdvice(4 * GIB, 0).recommended, false);
});
