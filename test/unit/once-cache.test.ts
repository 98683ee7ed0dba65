// A memory-record retried with the same id (after a lost reply) is applied once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnceCache } from '../../src/coordinator/once-cache.js';

test('a request id is applied once; a failed one may be asked again; no id: every call applies', async () => {
  const c = new OnceCache<number>();
  let applied = 0;
  const apply = async () => ++applied;
  const [a, b] = await Promise.all([c.run('x', apply), c.run('x', apply)]);
  assert.deepEqual([a, b, await c.run('x', apply)], [1, 1, 1]);
  await c.run(undefined, apply);
  await c.run(undefined, apply);
  assert.equal(applied, 3);
  await assert.rejects(c.run('y', () => Promise.reject(new Error('lost'))));
  assert.equal(await c.run('y', apply), 4);
});
