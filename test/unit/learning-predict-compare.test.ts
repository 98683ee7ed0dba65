// Pure parts of cleanup-success and performance-improvements: the forecast text, the thread choice,
// and a run compared with earlier runs of its name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIG_TREE_FILES, chooseThreads, predictClean } from '../../src/learning/cleanup-predict.js';
import { addCleanupOutcome } from '../../src/learning/reducers.js';
import { compareRuns } from '../../src/learning/run-compare.js';

const at = new Date().toISOString();

test('the last three done cleans predict size and time; refusals do not count', () => {
  let r = addCleanupOutcome(
    undefined,
    { target: '/srv/c', status: 'done', bytesFreed: 100 << 20, durationMs: 1400, files: 10 },
    at,
  );
  r = addCleanupOutcome(r, { target: '/srv/c', status: 'refused', bytesFreed: 0, durationMs: 5 }, at);
  r = addCleanupOutcome(r, { target: '/srv/c', status: 'done', bytesFreed: 96 << 20, durationMs: 1200, files: 10 }, at);
  const p = predictClean(r, 98 << 20)!;
  assert.equal(p.basis, 2);
  assert.match(
    p.text,
    /^last 2 cleans of this target: 96\.0 MiB–100 MiB, 1\.20 s–1\.40 s; about 1\.30 s for the 98\.0 MiB planned now$/,
  );
  assert.equal(predictClean(undefined), null);
});

test('threads: only for big trees; the fastest measured count wins once two were measured', () => {
  const small = addCleanupOutcome(
    undefined,
    { target: '/t', status: 'done', bytesFreed: 1, durationMs: 10, files: 100, threads: 0 },
    at,
  );
  assert.equal(chooseThreads(small, 4), null);
  let r = addCleanupOutcome(
    undefined,
    { target: '/t', status: 'done', bytesFreed: 1, durationMs: 4000, files: BIG_TREE_FILES, threads: 4 },
    at,
  );
  assert.deepEqual([chooseThreads(r, 4)?.threads, chooseThreads(r, 4)?.eager], [4, true]);
  r = addCleanupOutcome(
    r,
    { target: '/t', status: 'done', bytesFreed: 1, durationMs: 2000, files: BIG_TREE_FILES, threads: 2 },
    at,
  );
  assert.equal(chooseThreads(r, 4)?.threads, 2);
});

test('a run against the earlier successful runs of its name, per phase, with reasons', () => {
  const earlier = [
    {
      runId: 'a',
      name: 'live',
      durationMs: 100_000,
      exitCode: 0,
      phases: { build: 90_000, tune: 8000 },
      cacheHits: 0,
      tuning: 'zstd-9',
      compressor: 'xz',
    },
    { runId: 'b', name: 'other', durationMs: 5, exitCode: 0, phases: { build: 1 } },
    { runId: 'c', name: 'live', durationMs: 1, exitCode: 2, phases: { build: 1 } },
  ];
  const now = {
    runId: 'd',
    name: 'live',
    durationMs: 60_000,
    exitCode: 0,
    phases: { build: 55_000, tune: 7800 },
    cacheHits: 40,
    tuning: 'zstd-9',
    compressor: 'zstd',
  };
  const c = compareRuns(now, earlier)!;
  assert.equal(c.earlierRuns, 1);
  assert.deepEqual(c.against, ['a']);
  assert.deepEqual(
    c.phases.map((p) => [p.phase, p.verdict]),
    [
      ['build', 'faster'],
      ['tune', 'about the same'],
    ],
  );
  assert.deepEqual(c.why, [
    'apt cache hits: 40 (last run 0)',
    'tuning reused: zstd-9',
    'compressor changed: xz -> zstd',
  ]);
  assert.equal(compareRuns({ ...now, name: 'new' }, earlier), null);
});
