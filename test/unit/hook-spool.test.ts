// The hook spool: whole lines appended by many writers, taken atomically, leftovers of a crashed
// coordinator picked up again, unreadable lines counted and skipped.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { appendToSpool, finishSpool, takeSpools } from '../../src/hook-runtime/spool.js';
import { statePaths } from '../../src/host/system/state-dir.js';

test('spooled events are taken once, leftovers too, bad lines skipped', () => {
  const dir = mkdtempSync('/tmp/isoswarm-test-spool-');
  try {
    const paths = statePaths(dir);
    const ev = (i: number) => ({ hook: 'notification' as const, id: `e${i}`, at: new Date().toISOString(), source: 'cli' as const, message: `m${i}` });
    for (let i = 0; i < 5; i++) appendToSpool(paths, ev(i));
    appendFileSync(`${dir}/hooks-spool.jsonl`, '{"torn": \n');
    // A spool an earlier coordinator took but never finished.
    writeFileSync(`${dir}/hooks-spool.jsonl.taken-1-1`, `${JSON.stringify(ev(9))}\n`);
    const taken = takeSpools(paths);
    assert.equal(taken.length, 2);
    assert.deepEqual(taken.flatMap((t) => t.events.map((e) => (e as { id: string }).id)).sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e9']);
    assert.equal(taken.reduce((n, t) => n + t.bad, 0), 1);
    assert.equal(existsSync(`${dir}/hooks-spool.jsonl`), false, 'the live spool was taken (renamed)');
    taken.forEach(finishSpool);
    assert.deepEqual(takeSpools(paths), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
