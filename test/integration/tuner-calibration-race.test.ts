// Measured-vs-predicted pairs reported at the same moment all land: eight mksquashfs calls of one
// run are advised, then their measurements are reported concurrently through the real bus to the
// real tuner, whose appends the coordinator applies in its LMDB transaction. Before, each report
// read the calibration record and wrote it back whole, so concurrent reports lost pairs (and calls).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { requestEndpoint } from '../../src/bus/request.js';
import { calibrationKey, type CalibrationRecord } from '../../agents/performance-tuner/calibration.js';
import type { SquashCall } from '../../agents/performance-tuner/squashfs-calls.js';
import { rawClient } from '../helpers/bus.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

const PREFIX = 'isoswarm';
const CALLS = 8;

describe('calibration pairs reported concurrently through the bus', () => {
  const home = scratchHome('calib-race');
  const work = mkdtempSync('/tmp/isoswarm-test-calib-race-work-');
  const tree = join(work, 'tree');
  let nc: NatsConnection;

  before(async () => {
    mkdirSync(tree, { recursive: true });
    for (let i = 0; i < 40; i++)
      writeFileSync(join(tree, `f${i}.txt`), `line ${i} of a file that compresses like text\n`.repeat(2000 + i * 50));
    const r = cliSync(testEnv(home), ['up', '--json'], undefined, 120_000);
    assert.equal(r.code, 0, r.stderr);
    nc = await rawClient(home);
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    teardownHome(home);
    removeScratch(work);
  });

  test(`${CALLS} reports at once: ${CALLS} pairs and ${CALLS} measured calls stored`, async () => {
    const runId = `race-${Date.now()}`;
    const calls: SquashCall[] = [];
    // Advised one after another: the first measures the tree, the others reuse that measurement.
    for (let i = 0; i < CALLS; i++) {
      const c = await requestEndpoint<SquashCall>(
        nc,
        PREFIX,
        'performance-tuner',
        'squashfs-advise',
        { runId, cwd: work, args: [tree, join(work, `out${i}.img`), '-comp', 'xz'], policy: 'override', mode: 'auto' },
        240_000,
      );
      assert.ok(c.tuned && c.predicted, `call ${i} was tuned: ${c.note ?? ''}`);
      calls.push(c);
    }
    const fp = (calls[0]?.tuned?.key ?? '').split('/')[2] as string;
    assert.ok(fp, 'the tune key names the host fingerprint');
    await Promise.all(
      calls.map((c, i) =>
        requestEndpoint(
          nc,
          PREFIX,
          'performance-tuner',
          'squashfs-report',
          { callId: c.callId, runId, wallMs: 1000 + i, cpuMs: 900 + i, imageBytes: 5000 + i, exitCode: 0 },
          60_000,
        ),
      ),
    );
    const rec = await requestEndpoint<{ value: CalibrationRecord }>(
      nc,
      PREFIX,
      'coordinator',
      'memory-get',
      { key: calibrationKey(fp) },
      10_000,
    );
    const mine = rec.value.pairs.filter((p) => p.source === `mksquashfs shim, run ${runId}`);
    assert.deepEqual(
      mine.map((p) => p.measuredMs).sort((a, b) => a - b),
      calls.map((_, i) => 1000 + i),
      'every pair landed',
    );
    assert.equal(rec.value.fingerprintId, fp);
    const stored = await requestEndpoint<{ calls: SquashCall[] }>(
      nc,
      PREFIX,
      'performance-tuner',
      'squashfs-calls',
      { runId },
      10_000,
    );
    assert.equal(stored.calls.length, CALLS, 'one record per call, none duplicated or lost');
    assert.deepEqual(
      stored.calls.map((c) => c.measured?.wallMs).sort((a, b) => (a ?? 0) - (b ?? 0)),
      calls.map((_, i) => 1000 + i),
      'every call has its own measurement',
    );
  });
});
