// `isoswarm tune` options mean what they say: measurement options without a tree are refused,
// OPTIMIZATION_ENABLED=false turns tuning off, and a user's PARALLEL_JOBS wins over the recommendation.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cli, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { EXIT } from '../../src/cli/exit-codes.js';

describe('tune: every option means what it says', () => {
  const home = scratchHome('tune-options');
  const work = mkdtempSync('/tmp/isoswarm-test-tune-options-work-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  const tree = (name: string, files: number): string => {
    const dir = join(work, name);
    mkdirSync(join(dir, 'etc'), { recursive: true });
    for (let i = 0; i < files; i++)
      writeFileSync(join(dir, 'etc', `f${i}.conf`), `key_${i} = ${'value '.repeat(300)}\n`);
    return dir;
  };
  const MONITOR_LINE = /isoswarm monitor: [^|\n]+ cpu \d+\.\d% \| mem \d+\.\d% \| load \d+\.\d\d \| /;

  test('--force, --benchmark and --mode without --target are refused with the reason', () => {
    for (const args of [['--force'], ['--benchmark'], ['--mode', 'aggressive']]) {
      const r = cliSync(testEnv(home), ['tune', ...args]);
      assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /needs? --target DIR: without a tree there is nothing to measure/);
    }
  });

  test('OPTIMIZATION_ENABLED=false: nothing tuned, nothing exported, said on stderr', () => {
    const r = cliSync(testEnv(home, { OPTIMIZATION_ENABLED: 'false' }), ['tune', '--export']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /optimization is disabled/);
  });

  test("a user's PARALLEL_JOBS wins in the exports and is reported as the user's", () => {
    const r = cliSync(testEnv(home, { PARALLEL_JOBS: '3' }), ['tune', '--export'], undefined, 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^export PARALLEL_JOBS='3' {2}# the user's/m);
    assert.match(r.stdout, /^export MAKEFLAGS='-j3'$/m);
  });

  test('tune --monitor: live resource lines on stderr while it measures, and what was seen in --json', async () => {
    assert.equal(cliSync(testEnv(home), ['up'], undefined, 120_000).code, 0);
    const r = await cli(
      testEnv(home),
      ['tune', '--target', tree('t1', 300), '--monitor', '--json'],
      undefined,
      300_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, MONITOR_LINE);
    const out = JSON.parse(r.stdout) as { tune: { choice: unknown }; monitor: { samples: number; peakCpuPct: number } };
    assert.ok(out.tune.choice, 'the tune itself ran');
    assert.ok(out.monitor.samples >= 1, JSON.stringify(out.monitor));
    assert.equal(
      r.stderr.match(new RegExp(MONITOR_LINE.source, 'g'))?.length,
      out.monitor.samples,
      'one line per sample',
    );
    const plain = cliSync(testEnv(home), ['tune', '--target', tree('t1b', 20), '--json'], undefined, 300_000);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, MONITOR_LINE, 'no lines without --monitor');
    assert.equal((JSON.parse(plain.stdout) as { monitor?: unknown }).monitor, undefined);
  });

  test('cleanup --monitor: resource lines while the tree is deleted, and the samples in --json', () => {
    const dir = tree('doomed', 400);
    const r = cliSync(testEnv(home), ['cleanup', dir, '--monitor', '--force', '--json'], undefined, 300_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, MONITOR_LINE);
    const out = JSON.parse(r.stdout) as { monitor: { samples: number }; clean: unknown };
    assert.ok(out.monitor.samples >= 1);
    assert.equal(spawnSync('test', ['-e', dir]).status, 1, 'the tree is gone');
  });

  test('optimize_performance keeps a PARALLEL_JOBS the script set, even unexported', () => {
    const script = `
set -eu
source <("${process.execPath}" "${CLI}" shell-init)
PARALLEL_JOBS=5
optimize_performance
echo "JOBS=$PARALLEL_JOBS MAKEFLAGS=$MAKEFLAGS"
`;
    const r = spawnSync('bash', ['-c', script], { env: testEnv(home), encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^JOBS=5 MAKEFLAGS=-j5$/m);
  });
});
