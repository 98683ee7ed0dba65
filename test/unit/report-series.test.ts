// Series extraction, downsampling, the run-record schema and the summary that both renderers share.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { esc, formatBytes, formatDuration, formatOffset, shellJoin } from '../../src/report/format.js';
import { downsample, extract, peakOf, type Point } from '../../src/report/series.js';
import { summarize } from '../../src/report/summary.js';
import { listRuns, resolveRun, saveRunRecord } from '../../src/report/run-store.js';
import { parseRunRecord } from '../../src/schemas/run-record.js';
import { bareRecord, realisticRecord } from '../helpers/report-fixture.js';

describe('downsample', () => {
  test('keeps the first, last, minimum and maximum, in time order, within the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 5000 }),
        fc.integer({ min: 4, max: 900 }),
        (values, max) => {
          const pts: Point[] = values.map((v, i) => ({ t: i * 1000, v }));
          const out = downsample(pts, max);
          assert.ok(out.length <= Math.max(max, pts.length <= max ? pts.length : 0));
          assert.deepEqual(out[0], pts[0]);
          assert.deepEqual(out[out.length - 1], pts[pts.length - 1]);
          for (let i = 1; i < out.length; i++) assert.ok(out[i]!.t > out[i - 1]!.t, 'strictly increasing time');
          assert.equal(Math.max(...out.map((p) => p.v)), Math.max(...values));
          assert.equal(Math.min(...out.map((p) => p.v)), Math.min(...values));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('short series are returned unchanged', () => {
    const pts = [
      { t: 0, v: 1 },
      { t: 1, v: 2 },
    ];
    assert.deepEqual(downsample(pts, 800), pts);
    assert.deepEqual(downsample([], 800), []);
  });
});

describe('series and summary', () => {
  test('a missing value splits a series; the peak is over all points', () => {
    const r = realisticRecord({ samples: 10 });
    const s = extract(r.samples, 'x', 'x', '#000000', (x) => (x.at === r.samples[4]!.at ? null : x.cpuPct));
    assert.deepEqual(
      s.segments.map((g) => g.length),
      [4, 5],
    );
    const max = Math.max(...r.samples.filter((_, i) => i !== 4).map((x) => x.cpuPct));
    assert.equal(peakOf(s)!.v, max);
  });

  test('outcomes in words', () => {
    const base = bareRecord();
    assert.equal(summarize(base).headline, 'Succeeded');
    assert.equal(summarize({ ...base, exitCode: 2 }).headline, 'Failed with exit code 2');
    assert.equal(summarize({ ...base, exitCode: 130 }).headline, 'Killed by SIGINT');
    assert.equal(summarize({ ...base, exitCode: null, signal: 'SIGTERM' }).exitText, '143 (SIGTERM)');
    assert.equal(summarize({ ...base, exitCode: null, endedAt: null }).outcome, 'running');
  });

  test('the realistic run: tallies and warnings', () => {
    const s = summarize(realisticRecord());
    assert.equal(s.durationMs, 300_000);
    assert.equal(s.deleted.files, 34_087);
    assert.match(
      s.teardownText,
      /^2 processes signalled · 5 mounts unmounted · 1 loop device detached · 1\.52 GiB in 34,087 files deleted$/,
    );
    assert.deepEqual(s.warnings, [
      '1 process outside the chroot held files in it (reported, never signalled).',
      'The Cleaner refused 1 target (see below for the reasons).',
    ]);
    assert.equal(s.peaks.disks.length, 2);
  });
});

describe('run-record schema', () => {
  test('the fixture round-trips through JSON', () => {
    const r = realisticRecord();
    const back = parseRunRecord(JSON.parse(JSON.stringify(r)));
    assert.ok(back.ok);
    assert.deepEqual(back.record, JSON.parse(JSON.stringify(r)));
  });

  test('defaults for what an early or crashed run did not write; unknown fields are kept', () => {
    const r = parseRunRecord({
      runId: 'a',
      name: 'a',
      command: ['x'],
      chroot: null,
      isolate: false,
      startedAt: 'x',
      endedAt: null,
      exitCode: null,
      signal: null,
      futureField: { v: 2 },
    });
    assert.ok(r.ok);
    assert.deepEqual(
      [r.record.samples, r.record.events, r.record.phases, r.record.patternsUpdated, r.record.notes],
      [[], [], [], [], []],
    );
    assert.equal(r.record.teardown, null);
    assert.deepEqual((r.record as Record<string, unknown>).futureField, { v: 2 });
  });

  test('a bad record names the field', () => {
    const r = parseRunRecord({ ...bareRecord(), samples: [{ at: 'yesterday' }] });
    assert.ok(!r.ok);
    assert.match(r.message, /^samples\.0\.at: /);
    const noId = parseRunRecord({ ...bareRecord(), runId: undefined });
    assert.ok(!noId.ok);
    assert.match(noId.message, /^runId: /);
  });
});

describe('format helpers', () => {
  test('escaping and numbers', () => {
    assert.equal(esc(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(412 * 1024 ** 2), '412 MiB');
    assert.equal(formatDuration(57_300), '57.3 s');
    assert.equal(formatDuration(3_725_000), '1 h 2 min');
    assert.equal(formatOffset(3_725_000), '1:02:05');
    assert.equal(formatOffset(65_000), '1:05');
    assert.equal(shellJoin(['./b.sh', 'a b', "it's"]), `./b.sh 'a b' 'it'\\''s'`);
  });
});

describe('run store', () => {
  test('saveRunRecord validates, writes atomically, and the record reads back as latest', () => {
    const dir = mkdtempSync('/tmp/isoswarm-test-run-store-');
    try {
      const runs = join(dir, 'runs');
      const { file, record } = saveRunRecord(runs, {
        runId: 'r-1',
        name: 'n',
        command: ['make'],
        chroot: null,
        isolate: false,
        startedAt: '2025-03-01T00:00:00Z',
        endedAt: null,
        exitCode: null,
        signal: null,
      });
      assert.equal(file, join(runs, 'r-1.json'));
      assert.deepEqual(record.samples, []);
      assert.deepEqual(readdirSync(runs), ['r-1.json'], 'no temp file left behind');
      const latest = resolveRun(runs);
      assert.equal(latest.runId, 'r-1');
      assert.deepEqual(latest.record, record);
      assert.throws(() => saveRunRecord(runs, { ...record, runId: '../escape' }), /not a valid run id/);
      assert.throws(
        () => saveRunRecord(runs, { ...record, exitCode: 'x' as unknown as number }),
        /invalid run record: exitCode/,
      );
      assert.equal(listRuns(runs).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
