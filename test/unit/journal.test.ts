import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { foldJournal, journalFile, listUnfinished, openJournal, readJournal } from '../../src/host/guard/journal.js';
import { makeScratch, removeScratch } from '../helpers/cleaner-fixture.js';

const scratch = makeScratch('journal');
after(() => removeScratch(scratch));

const records = (file: string): { kind: string; step?: string; data?: Record<string, unknown> }[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('a run writes start, begin, done, finish as JSON lines, one file per target', async () => {
  const dir = `${scratch}/j1`;
  const j = await openJournal(dir, '/srv/build/a');
  assert.equal(j.file, journalFile(dir, '/srv/build/a'));
  assert.notEqual(journalFile(dir, '/srv/build/a'), journalFile(dir, '/srv/build/b'));
  await j.begin('move-aside', { to: '/srv/build/.a.trash' });
  // The record is in the file once begin() resolved: before the step it announces runs.
  assert.deepEqual(records(j.file).at(-1)?.step, 'move-aside');
  assert.deepEqual(
    j.pending().map((p) => p.step),
    ['move-aside'],
  );
  await j.done('move-aside', { ok: true });
  assert.deepEqual(j.pending(), []);
  await j.finish();
  assert.deepEqual(
    records(j.file).map((r) => r.kind),
    ['start', 'begin', 'done', 'finish'],
  );
  assert.deepEqual(await listUnfinished(dir), []);
});

test('steps begun and never done stay pending for the next run, which can finish them', async () => {
  const dir = `${scratch}/j2`;
  const j = await openJournal(dir, '/srv/build/b');
  await j.begin({ id: 'trash:/srv/build/.b.t', step: 'trash', to: '/srv/build/.b.t' });
  await j.begin('evict:/srv/build/b');
  await j.fail('evict:/srv/build/b', new Error('EIO'));
  await j.close(); // no finish: as if killed
  const un = await listUnfinished(dir);
  assert.equal(un.length, 1);
  assert.equal(un[0]?.target, '/srv/build/b');
  assert.deepEqual(un[0]?.pending.map((p) => p.step).sort(), ['evict:/srv/build/b', 'trash:/srv/build/.b.t']);
  assert.equal(un[0]?.pending.find((p) => p.step.startsWith('trash:'))?.data.to, '/srv/build/.b.t');

  const next = await openJournal(dir, '/srv/build/b');
  assert.equal(next.pending().length, 2, 'a failed step is still pending');
  await next.done('trash:/srv/build/.b.t', { outcome: 'deleted on resume' });
  await next.done({ id: 'evict:/srv/build/b' });
  await next.finish();
  assert.deepEqual(await listUnfinished(dir), []);
});

test('object steps without id are identified by their `step` field (the unmounter style)', async () => {
  const dir = `${scratch}/j3`;
  const j = await openJournal(dir, '/srv/build/c');
  await j.begin({ step: 'unmount', target: '/srv/build/c', mounts: ['/srv/build/c/proc'] });
  assert.deepEqual(
    j.pending().map((p) => p.step),
    ['unmount'],
  );
  await j.done({ step: 'unmount', target: '/srv/build/c', ok: true });
  assert.deepEqual(j.pending(), []);
  await j.finish();
});

test('a torn last line (killed mid-write) is ignored, the rest still counts', () => {
  const good = JSON.stringify({ v: 1, ts: 't', run: 'r1', pid: 1, target: '/srv/x', kind: 'start' });
  const begin = JSON.stringify({ v: 1, ts: 't', run: 'r1', pid: 1, target: '/srv/x', kind: 'begin', step: 's1' });
  const s = foldJournal(`${good}\n${begin}\n{"v":1,"ts":"t","run":"r1","kind":"do`);
  assert.equal(s.records, 2);
  assert.deepEqual(
    s.pending.map((p) => p.step),
    ['s1'],
  );
  assert.equal(s.lastRunUnfinished, true);
  assert.equal(s.badLines, 1, 'the torn line is reported');
});

test("after a torn last line, the next run's records start on a line of their own", async () => {
  const dir = `${scratch}/torn`;
  const j = await openJournal(dir, '/srv/build/t');
  await j.begin('s1');
  await j.close();
  const file = j.file;
  appendFileSync(file, '{"v":1,"ts":"t","run":"r0","kind":"do');
  const j2 = await openJournal(dir, '/srv/build/t');
  await j2.done('s1');
  await j2.finish();
  const s = await readJournal(file);
  assert.equal(s.lastRun, j2.run, "the next run's start record was swallowed by the torn line");
  assert.equal(s.lastRunUnfinished, false);
  assert.deepEqual(s.pending, []);
  assert.equal(s.badLines, 1);
});

test('a corrupted line in the middle is skipped and reported; the records around it count', () => {
  const start = JSON.stringify({ v: 1, ts: 't', run: 'r1', pid: 1, target: '/srv/x', kind: 'start' });
  const begin = JSON.stringify({ v: 1, ts: 't', run: 'r1', pid: 1, target: '/srv/x', kind: 'begin', step: 's1' });
  const done = JSON.stringify({ v: 1, ts: 't', run: 'r1', pid: 1, target: '/srv/x', kind: 'done', step: 's1' });
  const s = foldJournal(`${start}\n${begin}\n\u0000\u0000garbage{\n42\n${done}\n`);
  assert.equal(s.records, 3);
  assert.deepEqual(s.pending, []);
  assert.equal(s.badLines, 2);
});

test('a SIGKILLed writer leaves every record it reported written', async () => {
  const dir = `${scratch}/j4`;
  const mod = new URL('../../src/host/guard/journal.js', import.meta.url).pathname;
  const code = `const { openJournal } = await import(${JSON.stringify(mod)});
    const j = await openJournal(${JSON.stringify(dir)}, '/srv/build/k');
    for (let i = 0; i < 5; i++) { await j.begin('step-' + i); process.stdout.write('begun ' + i + '\\n'); }
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('begun 4')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const un = await listUnfinished(dir);
  assert.equal(un.length, 1);
  assert.deepEqual(
    un[0]?.pending.map((p) => p.step),
    ['step-0', 'step-1', 'step-2', 'step-3', 'step-4'],
  );
  assert.equal(un[0]?.lastRunUnfinished, true);
});
