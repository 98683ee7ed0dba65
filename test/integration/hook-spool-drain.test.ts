// The hook spool and its drain on a real LMDB: every spooled event runs exactly once, in the order
// it happened, also when an earlier drain was interrupted after its commit; the old single-file
// spool is taken over; unreadable files are kept aside, never run, never lost silently.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { drainSpool } from '../../src/hook-runtime/spool-drain.js';
import { appendToSpool, readSpool, spoolDir, spoolPending } from '../../src/hook-runtime/spool.js';
import { ensureStateDir } from '../../src/host/system/state-dir.js';
import { MemoryOps } from '../../src/memory/operations.js';
import { MemoryStore } from '../../src/memory/store.js';
import type { HookEvent } from '../../src/schemas/hook-types.js';

const dir = mkdtempSync('/tmp/isoswarm-test-spool-');
after(() => rmSync(dir, { recursive: true, force: true }));
const paths = ensureStateDir(dir);
const config = loadConfig({});
let seq = 0;
const edit = (file: string): HookEvent => ({
  hook: 'post-edit',
  id: `e${++seq}`,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
  source: 'cli',
  file,
});

async function withOps<T>(fn: (ops: MemoryOps) => Promise<T>): Promise<T> {
  const store = await MemoryStore.openWriter(paths.memory, { mapSizeBytes: 1 << 30 });
  try {
    return await fn(new MemoryOps(store));
  } finally {
    await store.close();
  }
}

test('each spooled event runs once, in order; the old spool file is taken over; bad files kept aside', async () => {
  for (let i = 0; i < 5; i++) appendToSpool(paths, edit('/src/a.sh'));
  const legacy = edit('/src/b.sh');
  appendFileSync(`${dir}/hooks-spool.jsonl`, `${JSON.stringify(legacy)}\n{"torn": \n`);
  writeFileSync(`${spoolDir(paths)}/0000-garbage.json`, '{not json');
  assert.equal(spoolPending(paths), true);
  const r = await withOps((ops) => drainSpool(paths, config, ops));
  assert.deepEqual(r, { drained: 6, skipped: 0, failed: 0, unreadable: 1 });
  await withOps(async (ops) => {
    assert.equal((ops.get('edits/src/a.sh')?.value as { count: number }).count, 5);
    assert.equal((ops.get('edits/src/b.sh')?.value as { count: number }).count, 1);
    assert.equal(ops.list('hooks/pending/').length, 6, 'each event waits for the stream once');
    assert.equal(ops.list('hooks/drained/').length, 0, 'markers go once their file is gone');
  });
  assert.equal(spoolPending(paths), false);
  assert.equal(existsSync(`${dir}/hooks-spool.jsonl`), false);
  assert.deepEqual(readdirSync(spoolDir(paths)), ['0000-garbage.json.bad']);
});

test('a drain interrupted after its commit is finished without running the event again', async () => {
  const e = edit('/src/c.sh');
  appendToSpool(paths, e);
  // What a drain killed between its commit and removing the file leaves behind.
  await withOps(async (ops) => {
    await ops.store.batch([
      { key: 'edits/src/c.sh', fn: () => ({ file: '/src/c.sh', count: 1 }) },
      { key: `hooks/drained/${e.id}`, value: { at: e.at } },
    ]);
  });
  assert.equal(readSpool(paths).length, 1);
  const r = await withOps((ops) => drainSpool(paths, config, ops));
  assert.equal(r.skipped, 1);
  assert.equal(r.drained, 0);
  await withOps(async (ops) => {
    assert.equal((ops.get('edits/src/c.sh')?.value as { count: number }).count, 1, 'not counted twice');
    assert.equal(ops.get(`hooks/drained/${e.id}`), undefined);
  });
});

test('a failing spooled hook is kept under hooks/failed/, not lost and not retried forever', async () => {
  appendToSpool(paths, { hook: 'notification', id: 'bad1', at: new Date().toISOString(), source: 'cli' });
  const r = await withOps((ops) => drainSpool(paths, config, ops));
  assert.equal(r.failed, 1);
  await withOps(async (ops) => {
    const failed = ops.list('hooks/failed/');
    assert.equal(failed.length, 1);
    assert.match((failed[0]!.value as { error: string }).error, /needs a message/);
  });
  assert.equal(spoolPending(paths), false);
});

test('a batched update applies its function to the committed value', async () => {
  await withOps(async (ops) => {
    await ops.store.set('n', 1);
    await Promise.all([
      ops.store.batch([{ key: 'n', fn: (o) => (o as number) + 1 }]),
      ops.store.update('n', (o) => (o as number) + 10),
    ]);
    assert.equal(ops.get('n')?.value, 12);
  });
});
