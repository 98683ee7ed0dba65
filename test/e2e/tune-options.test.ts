// `isoswarm tune` options mean what they say: measurement options without a tree are refused,
// OPTIMIZATION_ENABLED=false turns tuning off, and a user's PARALLEL_JOBS wins over the recommendation.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { EXIT } from '../../src/cli/exit-codes.js';

describe('tune: every option means what it says', () => {
  const home = scratchHome('tune-options');
  after(() => teardownHome(home));

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
});
