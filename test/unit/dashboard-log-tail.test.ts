// The dashboard's log tail reader on real files: the first read is bounded to the file's end, later
// reads return only what was added, a line without its newline waits for it, a file that grew too
// much is skipped ahead, and a truncated file is read again from its start. And the follower over
// active runs: reads only runs registered in this state dir, only while followed.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LogTailReader } from '../../src/dashboard/log-tail-reader.js';
import { DashboardModel, type LogLine } from '../../src/dashboard/model.js';
import { RunLogs } from '../../src/dashboard/run-logs.js';
import { runDir } from '../../src/run/registry.js';
import { removeScratch, scratchHome } from '../helpers/cli.js';

const limits = { firstBytes: 100, maxBytes: 300, maxLine: 50 };
const numbered = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(4, '0')}`);

describe('the log tail reader', () => {
  const dir = scratchHome('log-tail');
  after(() => removeScratch(dir));

  test('a missing file gives nothing, and is read once it appears', async () => {
    const f = join(dir, 'late.log');
    const r = new LogTailReader(f, limits);
    assert.deepEqual(await r.read(), []);
    writeFileSync(f, 'hello\n');
    assert.deepEqual(await r.read(), ['hello']);
  });

  test('the first read takes only the last few bytes, in whole lines', async () => {
    const f = join(dir, 'big.log');
    writeFileSync(f, `${numbered(1, 1000).join('\n')}\n`); // 10 000 bytes, 10 per line
    const r = new LogTailReader(f, limits);
    const first = await r.read();
    // 100 bytes from the end start exactly at a line's start: 10 whole lines.
    assert.deepEqual(first, numbered(991, 1000));
    assert.ok(first.join('\n').length <= limits.firstBytes);
    assert.deepEqual(await r.read(), [], 'nothing new, nothing read');
  });

  test('later reads return only the new bytes; a partial last line waits for its newline', async () => {
    const f = join(dir, 'grow.log');
    writeFileSync(f, 'one\ntwo\n');
    const r = new LogTailReader(f, limits);
    assert.deepEqual(await r.read(), ['one', 'two']);
    appendFileSync(f, 'three\nfou');
    assert.deepEqual(await r.read(), ['three']);
    assert.deepEqual(await r.read(), []);
    appendFileSync(f, 'r\r\nfive\n');
    assert.deepEqual(await r.read(), ['four', 'five']);
  });

  test('a file that grew more than a read takes is skipped ahead to its end', async () => {
    const f = join(dir, 'burst.log');
    writeFileSync(f, 'start\n');
    const r = new LogTailReader(f, limits);
    assert.deepEqual(await r.read(), ['start']);
    appendFileSync(f, `${numbered(1, 500).join('\n')}\n`);
    const got = await r.read();
    assert.equal(got.at(-1), 'line 0500');
    assert.deepEqual(got, numbered(471, 500), 'the last 300 bytes, whole lines only');
    assert.match(got[0]!, /^line \d{4}$/, 'the cut first line is left out');
  });

  test('an endless line is cut rather than held without bound', async () => {
    const f = join(dir, 'long.log');
    writeFileSync(f, '');
    const r = new LogTailReader(f, limits);
    assert.deepEqual(await r.read(), []);
    appendFileSync(f, 'x'.repeat(80));
    const got = await r.read();
    assert.equal(got.length, 1);
    assert.equal(got[0], `${'x'.repeat(50)}…`);
  });

  test('a truncated file is read again from its start', async () => {
    const f = join(dir, 'trunc.log');
    writeFileSync(f, 'aaaa\nbbbb\ncccc\n');
    const r = new LogTailReader(f, limits);
    assert.equal((await r.read()).length, 3);
    truncateSync(f, 0);
    appendFileSync(f, 'new\n');
    assert.deepEqual(await r.read(), ['new']);
  });
});

describe("the active runs' output follower", () => {
  const root = scratchHome('run-logs');
  after(() => removeScratch(root));
  const progress = (runId: string, host: string) => ({
    runId,
    name: runId,
    host,
    startedAt: new Date().toISOString(),
    endedAt: null,
    exitCode: null,
    phases: [],
    tuning: null,
  });

  test('a run registered here is read; one on another host or without a registry dir shows nothing', async () => {
    const model = new DashboardModel('h', '0');
    const logs = new RunLogs(root, model);
    const updates: { runId: string; lines: LogLine[] }[] = [];
    model.on(
      'update',
      (name: string, data: { runId: string; lines: LogLine[] }) => name === 'log' && updates.push(data),
    );
    for (const [id, host] of [
      ['here-1', hostname()],
      ['elsewhere-1', 'another-host'],
      ['unregistered-1', hostname()],
    ] as const) {
      model.runProgress(progress(id, host));
      mkdirSync(runDir(root, id), { recursive: true });
      if (id === 'unregistered-1') continue;
      writeFileSync(join(runDir(root, id), 'out.log'), `${id} out\n`);
      writeFileSync(join(runDir(root, id), 'err.log'), `${id} err\n`);
    }
    // Not followed (no page open): nothing is read.
    await logs.poll();
    assert.equal(updates.length, 0);
    logs.follow(true);
    try {
      await logs.poll();
      appendFileSync(join(runDir(root, 'here-1'), 'out.log'), 'more\n');
      await logs.poll();
    } finally {
      logs.follow(false);
    }
    assert.deepEqual(
      updates.map((u) => u.runId),
      ['here-1', 'here-1'],
    );
    assert.deepEqual(
      updates.flatMap((u) => u.lines),
      [
        { err: false, text: 'here-1 out' },
        { err: true, text: 'here-1 err' },
        { err: false, text: 'more' },
      ],
    );
    assert.equal(model.logs.size, 0, 'what was kept is dropped once no page is open');
  });
});
