// The temp tracker at its default cadence (check passes every 10 s, ticked like the Monitor): a file
// added deep in a /tmp-like scratch tree, or one removed, shows up in the totals within a bounded time.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TempTracker } from '../../src/host/walk/temp-tracker.js';

const root = mkdtempSync('/tmp/isoswarm-test-temp-deep-');
after(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The Monitor ticks once per sample; 250 ms here keeps the test short without changing the cadence. */
async function tickUntil(t: TempTracker, ok: () => boolean, boundMs: number): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > boundMs) throw new Error(`not seen within ${boundMs} ms: ${JSON.stringify(t.usage())}`);
    t.tick();
    await sleep(250);
  }
  return Date.now() - t0;
}

test('a file added (then removed) 8 levels deep is seen within the check interval plus slack', async () => {
  let deep = root;
  for (let i = 0; i < 8; i++) {
    deep = join(deep, `l${i}`);
    mkdirSync(deep);
    for (let f = 0; f < 50; f++) writeFileSync(join(deep, `f${f}`), 'x');
  }
  const t = new TempTracker(root); // defaults: what the Monitor uses
  try {
    await tickUntil(t, () => t.usage().complete, 60_000);
    const before = t.usage();
    assert.equal(before.files, 400);
    await sleep(2500); // the new directories stop being "recent": only the change below re-reads one
    const file = join(deep, 'new-build-log');
    writeFileSync(file, Buffer.alloc(300_000, 1));
    const size = statSync(file);
    // Bound: one check interval (10 s) plus the pass itself, with generous slack for a loaded host.
    const addedMs = await tickUntil(t, () => t.usage().files === 401, 10_000 + 30_000);
    const u = t.usage();
    assert.equal(u.apparentBytes, before.apparentBytes + size.size);
    assert.equal(u.bytes, before.bytes + size.blocks * 512);
    rmSync(file);
    const removedMs = await tickUntil(t, () => t.usage().files === 400, 10_000 + 30_000);
    assert.equal(t.usage().apparentBytes, before.apparentBytes);
    process.stderr.write(`# added seen after ${addedMs} ms, removal after ${removedMs} ms\n`);
  } finally {
    t.close();
  }
});
