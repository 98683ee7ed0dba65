// cleanup-success read back through the CLI: after a measured clean of a tree, `cleanup --dry-run`
// and `run`'s plan predict the next clean from it, and a tree known to be big gets the deleter's
// threads at once (the decision and its evidence are in `patterns explain`).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

interface CleanJson {
  clean: {
    plan: { targets: { prediction?: { basis: number; text: string } | null }[] };
    result: {
      targets: {
        status: string;
        threads?: number;
        threadsPlanned?: { threads: number; eager: boolean };
        durationMs?: number;
        deleted: { files: number };
      }[];
    } | null;
  };
}

describe('cleanup-success predicts and chooses the deleter threads', { skip: needsRoot() }, () => {
  const home = scratchHome('learn-clean');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-learn-clean-fs-'));
  const tree = `${scratch}/build/chroot`;
  let env: NodeJS.ProcessEnv;

  const makeTree = (): void => {
    // Just over the size at which a known tree gets its deleter threads at once.
    for (let d = 0; d < 201; d++) {
      mkdirSync(`${tree}/usr/share/d${d}`, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(`${tree}/usr/share/d${d}/f${f}`, Buffer.alloc(256, d));
    }
  };

  before(() => {
    writeFileSync(`${home}/config.json`, JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] } }));
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(() => {
    teardownHome(home);
    removeScratch(scratch);
  });

  test('first clean measured, second predicted and run with its threads started at once', () => {
    makeTree();
    const dry0 = cliSync(env, ['cleanup', tree, '--dry-run']);
    assert.equal(dry0.code, 0, dry0.stderr);
    assert.doesNotMatch(dry0.stdout, /predicted from/);

    const first = cliSync(env, ['cleanup', tree, '--json'], undefined, 120_000);
    assert.equal(first.code, 0, first.stderr);
    const r1 = (JSON.parse(first.stdout) as CleanJson).clean.result!.targets[0]!;
    assert.equal(r1.status, 'done');
    assert.equal(r1.deleted.files, 20_100);
    assert.equal(r1.threadsPlanned, undefined);
    assert.ok((r1.durationMs ?? 0) > 0);

    makeTree();
    const dry = cliSync(env, ['cleanup', tree, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /predicted from last 1 clean of this target: [\d.]+ [KM]iB, [\d.]+ m?s/);
    const dryJson = JSON.parse(cliSync(env, ['cleanup', tree, '--dry-run', '--json']).stdout) as CleanJson;
    assert.equal(dryJson.clean.plan.targets[0]?.prediction?.basis, 1);

    const second = cliSync(env, ['cleanup', tree, '--json'], undefined, 120_000);
    assert.equal(second.code, 0, second.stderr);
    const r2 = (JSON.parse(second.stdout) as CleanJson).clean.result!.targets[0]!;
    assert.equal(r2.status, 'done');
    const ex = cliSync(env, ['patterns', 'explain', `cleanup-success/${tree.slice(1)}`, '--json']);
    assert.equal(ex.code, 0, ex.stderr);
    const rec = (
      JSON.parse(ex.stdout) as {
        records: { decisions: { decision: string; evidence: { lastFiles: number } }[]; measurements: string[] }[];
      }
    ).records[0]!;
    assert.equal(rec.decisions.length, 1);
    const m = /started (\d+) deleter threads at once: the last clean removed 20100 files/.exec(
      rec.decisions[0]!.decision,
    );
    assert.ok(m, rec.decisions[0]!.decision);
    // The deleter was asked for exactly that (how many took part depends on how fast the disk is).
    assert.deepEqual(r2.threadsPlanned, { threads: Number(m[1]), eager: true });
    assert.ok((r2.threads ?? 0) <= Number(m[1]));
    assert.equal(rec.measurements.length, 3, JSON.stringify(rec.measurements));

    // run's plan shows the forecast for its chroot.
    makeTree();
    const run = cliSync(env, ['run', '--no-tune', '--chroot', tree, '--', 'true'], undefined, 120_000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /cleanup of .* after the build, predicted from the last 2 cleans of this target: /);
  });
});
