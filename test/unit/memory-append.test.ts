// The append event's reducer: a list in a record (or the value itself), capped, replacing by id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendItem } from '../../src/learning/append.js';

test('append to a field: new record from `set`, fields kept, newest kept beyond max', () => {
  const a = appendItem(undefined, { item: 1, field: 'pairs', max: 2, set: { id: 'h' } });
  assert.deepEqual(a, { id: 'h', pairs: [1] });
  const b = appendItem({ ...(a as object), other: true }, { item: 2, field: 'pairs', max: 2, set: { id: 'h' } });
  const c = appendItem(b, { item: 3, field: 'pairs', max: 2 });
  assert.deepEqual(c, { id: 'h', other: true, pairs: [2, 3] });
});

test('append to the value itself, replacing an earlier item with the same id', () => {
  const a = appendItem(undefined, { item: { id: 'x', v: 1 }, max: 10, replaceBy: 'id' });
  const b = appendItem(a, { item: { id: 'y', v: 1 }, max: 10, replaceBy: 'id' });
  const c = appendItem(b, { item: { id: 'x', v: 2 }, max: 10, replaceBy: 'id' });
  assert.deepEqual(c, [
    { id: 'y', v: 1 },
    { id: 'x', v: 2 },
  ]);
  assert.deepEqual(appendItem('not a list', { item: 1, max: 3 }), [1], 'a value of another shape starts a new list');
});
