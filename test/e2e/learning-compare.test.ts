// performance-improvements read back: the second run of a name is compared, phase by phase, with the
// first one on this host, in the run's notes, its record and its report.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

describe('runs of one name compared with the earlier ones', () => {
  const home = scratchHome('learn-cmp');
  let env: NodeJS.ProcessEnv;
  before(() => {
    writeFileSync(`${home}/config.json`, JSON.stringify({}));
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(() => teardownHome(home));

  test('the second run names the first, per phase, and says why when it knows', () => {
    const first = cliSync(
      env,
      ['run', '--no-tune', '--name', 'cmp', '--json', '--', 'sleep', '1.5'],
      undefined,
      120_000,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { comparison?: unknown }).comparison, undefined);
    const second = cliSync(
      env,
      ['run', '--no-tune', '--name', 'cmp', '--json', '--', 'sleep', '0.1'],
      undefined,
      120_000,
    );
    assert.equal(second.code, 0, second.stderr);
    const rec = JSON.parse(second.stdout) as {
      runId: string;
      comparison: { earlierRuns: number; phases: { phase: string; verdict: string; earlierMs: number }[] };
      notes: string[];
    };
    assert.equal(rec.comparison.earlierRuns, 1);
    const build = rec.comparison.phases.find((p) => p.phase === 'build');
    assert.equal(build?.verdict, 'faster', JSON.stringify(rec.comparison));
    assert.ok(build.earlierMs >= 1500);
    assert.ok(rec.notes.some((n) => /^compared with the last 1 successful run of cmp on this host/.test(n)));
    const md = cliSync(env, ['report', rec.runId, '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /## Compared with earlier runs/);
    assert.match(md.stdout, /build: \d+\.\d s vs \d+\.\d s, \d+ % faster/);
  });
});
