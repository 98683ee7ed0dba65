// The dashboard's stage feed: while a page is open, an active run's stages are read from its
// registry dir (the `phase` marks in stages.ndjson, live-build's stage lines in out.log from its
// start, even when the log's tail skipped them) and sent once per change; the page shades them.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DashboardModel, type StageStart } from '../../src/dashboard/model.js';
import { RunLogs } from '../../src/dashboard/run-logs.js';
import { runDir } from '../../src/run/registry.js';
import { removeScratch } from '../helpers/cli.js';

const root = mkdtempSync('/tmp/isoswarm-test-dash-stages-');
after(() => removeScratch(root));

test('phase marks and live-build stage lines reach the model in time order, once per change', async () => {
  const runId = 'lb-20261201T000000Z-abcd';
  const dir = runDir(root, runId);
  mkdirSync(dir, { recursive: true });
  const t0 = new Date('2026-12-01T10:00:00').getTime();
  // A long output: the stage line is far before the last 4 KB the log tail shows first.
  writeFileSync(join(dir, 'out.log'), `[2026-12-01 10:00:05] lb bootstrap_debootstrap\n${'I: noise\n'.repeat(2000)}`);
  writeFileSync(join(dir, 'stages.ndjson'), `${JSON.stringify({ name: 'prepare', at: t0, source: 'phase' })}\n`);
  const model = new DashboardModel('h', '0');
  const sent: { runId: string; stages: StageStart[] }[] = [];
  model.on('update', (kind: string, v: unknown) => {
    if (kind === 'stages') sent.push(v as (typeof sent)[number]);
  });
  model.runProgress({
    runId,
    name: 'lb',
    host: hostname(),
    startedAt: new Date(t0).toISOString(),
    endedAt: null,
    exitCode: null,
    phases: [{ name: 'build', startedAt: new Date(t0).toISOString(), endedAt: null, status: 'running' }],
    tuning: null,
  });
  const logs = new RunLogs(root, model);
  logs.follow(true);
  try {
    await logs.poll();
    assert.deepEqual(model.stages.get(runId), [
      { name: 'prepare', at: t0 },
      { name: 'bootstrap_debootstrap', at: t0 + 5000 },
    ]);
    await logs.poll();
    assert.equal(sent.length, 1, 'an unchanged list is not sent again');
    appendFileSync(join(dir, 'out.log'), '[2026-12-01 10:01:00] lb chroot_install-packages install\n');
    await logs.poll();
    assert.deepEqual(
      model.stages.get(runId)?.map((s) => s.name),
      ['prepare', 'bootstrap_debootstrap', 'chroot_install-packages install'],
    );
    assert.equal(sent.length, 2);
    assert.deepEqual((model.snapshot().stages as Record<string, StageStart[]>)[runId]?.length, 3);
  } finally {
    logs.stop();
  }
  assert.equal(model.stages.size, 0, 'no page open: nothing kept');
});
