// Which build trees the registry calls stale, on real directories and a real registry: a tree that
// holds a kept run's tree is kept whole, and a tree named through a symlink is related to (and
// protected by) the runs of its real path.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { staleBuildTrees } from '../../src/coordinator/stale-trees.js';
import { createRunDir, markDone, writeDurable, type RegisteredRun } from '../../src/run/registry.js';
import { removeScratch } from '../helpers/cli.js';

const DAY = 24 * 3600 * 1000;
const root = realpathSync(mkdtempSync('/tmp/isoswarm-test-stale-scan-'));
after(() => removeScratch(root));

function register(state: string, runId: string, chroot: string, done: boolean, keep: RegisteredRun['keep'] = null) {
  const dir = createRunDir(state, runId);
  const run = {
    runId,
    name: 'b',
    chroot,
    keepOnFailure: false,
    keep,
    aptCache: false,
    systemApplied: false,
    cli: { pid: 1, startTime: 0 },
    leaseMs: 10_000,
    graceMs: 10_000,
    record: {},
  } as unknown as RegisteredRun;
  writeDurable(join(dir, 'run.json'), run);
  if (done)
    markDone(dir, {
      at: new Date(Date.now() - 2 * DAY).toISOString(),
      recordFile: null,
      report: null,
      exitCode: 0,
      runnerLost: false,
    });
}

test('a tree around a kept tree is kept whole', () => {
  const state = join(root, 'state-keep');
  const outer = join(root, 'keep', 'outer');
  mkdirSync(join(outer, 'inner'), { recursive: true });
  register(state, 'r-inner', join(outer, 'inner'), true, { reason: '--keep' });
  register(state, 'r-outer', outer, true);
  const scan = staleBuildTrees(state);
  assert.deepEqual(scan.trees, [], JSON.stringify(scan));
  assert.match(scan.kept.find((k) => k.path === outer)?.why ?? '', /r-inner was asked to keep it/);
});

test('a tree named through a symlink is not stale, and a live run under the real name protects it', () => {
  const state = join(root, 'state-link');
  const real = join(root, 'link', 'real', 'x');
  mkdirSync(real, { recursive: true });
  symlinkSync(join(root, 'link', 'real'), join(root, 'link', 'alias'));
  register(state, 'r-alias', join(root, 'link', 'alias', 'x'), true);
  register(state, 'r-live', real, false);
  const scan = staleBuildTrees(state);
  assert.deepEqual(scan.trees, [], JSON.stringify(scan));
  assert.match(scan.kept.find((k) => k.path.includes('alias'))?.why ?? '', /reached through a symlink/);
  assert.match(scan.kept.find((k) => k.path === real)?.why ?? '', /r-live is/);
});

test('a finished, unkept tree a day old is stale (the control)', () => {
  const state = join(root, 'state-plain');
  const tree = join(root, 'plain', 't');
  mkdirSync(tree, { recursive: true });
  register(state, 'r-plain', tree, true);
  assert.deepEqual(
    staleBuildTrees(state).trees.map((t) => t.path),
    [tree],
  );
});
