// Which top-level names the deleter may give find: every prefix of a name given must stay inside
// the tree (a stream cut mid-name hands find a prefix as a start point), so no name starts with "..".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMayTake } from '../../src/host/delete/find-checks.js';

test('"." and names beginning with ".." are left to the walker; every other name may go to find', () => {
  const no = ['', '.', '..', '..x', '...', '..\n', '..-delete'];
  const yes = ['.hidden', '.a.', 'a..', 'x', '-delete', 'new\nline', '\u00e9t\u00e9'];
  for (const n of no) assert.equal(findMayTake(Buffer.from(n)), false, JSON.stringify(n));
  for (const n of yes) assert.equal(findMayTake(Buffer.from(n)), true, JSON.stringify(n));
  // Every prefix of a name find may take is itself not "..".
  for (const n of yes) {
    const b = Buffer.from(n);
    for (let i = 1; i <= b.length; i++) assert.notEqual(b.subarray(0, i).toString('latin1'), '..');
  }
});
