// error-prevention read back: a host process kept a run's teardown from finishing; before the next
// run of that chroot the pre-flight finds a process of the same program holding it again and warns,
// naming the past failure, and the warning is in the decision log.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

describe('pre-flight checks from past failures', { skip: needsRoot() }, () => {
  const home = scratchHome('learn-pre');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-learn-pre-fs-'));
  const chroot = `${scratch}/chroot`;
  let env: NodeJS.ProcessEnv;
  const holders: ChildProcess[] = [];

  before(() => {
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] }, cleanup: { graceMs: 500 } }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(() => {
    for (const h of holders) h.kill('SIGKILL');
    teardownHome(home);
    removeScratch(scratch);
  });

  test('a host process that held the chroot last time is looked for before the next run', async () => {
    mkdirSync(`${chroot}/mnt`, { recursive: true });
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isoswarm-pre', `${chroot}/mnt`]);
    const first = spawn('sleep', ['1000'], { cwd: `${chroot}/mnt`, stdio: 'ignore' });
    holders.push(first);
    const r1 = cliSync(
      env,
      ['run', '--no-tune', '--name', 'pre', '--chroot', chroot, '--', 'true'],
      undefined,
      120_000,
    );
    assert.match(r1.stderr + r1.stdout, /not deleted: the teardown did not finish/);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    assert.equal(cliSync(env, ['unmount', chroot]).code, 0);

    // The same program holds the chroot again (its working directory this time).
    const second = spawn('sleep', ['1000'], { cwd: chroot, stdio: 'ignore' });
    holders.push(second);
    await new Promise((r) => setTimeout(r, 200));
    const r2 = cliSync(
      env,
      ['run', '--no-tune', '--name', 'pre', '--chroot', chroot, '--', 'true'],
      undefined,
      120_000,
    );
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(
      r2.stderr,
      new RegExp(
        `pre-flight host-holder: WARNING: outside the chroot, pid ${second.pid} \\(sleep 1000: cwd ${chroot}\\) uses ${chroot} now.*because the teardown of ${chroot} at \\S+ did not finish: held by pid ${first.pid} \\(sleep 1000\\)`,
      ),
    );
    const ex = JSON.parse(cliSync(env, ['patterns', 'explain', 'error-prevention', '--json']).stdout) as {
      records: { decisions: { decision: string; evidence: { from: { what: string } } }[] }[];
    };
    const d = ex.records[0]!.decisions.at(-1)!;
    assert.match(d.decision, /warned before the build \(host-holder\)/);
    assert.match(d.evidence.from.what, new RegExp(`held by pid ${first.pid}`));
    // The warning changed nothing of the host process: it was reported, never signalled.
    assert.equal(second.exitCode, null);
    assert.equal(second.signalCode, null);
  });
});
