// The holder of a shell script's lock keeps nothing of the script's open: an fd the script opened
// (`exec 100>file; flock 100`) is not open in the holder, so the flock goes when the script lets go of it.
// init_optimization_system in a pipeline (its own subshell) keeps the lock while the script's shell
// lives. An empty --chroot or --target locks nothing, and says so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isAlive } from '../../src/host/proc/process-identity.js';
import { cliSync } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { sleep, waitFor } from '../helpers/run-watch.js';
import { holdersOf, lockHeld, shellSuite } from '../helpers/shell-script.js';

function openFiles(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe("a shell script's lock holder", { skip: needsRoot() }, () => {
  const { home, work, env, scripts } = shellSuite('shell-lock-holder');

  test("holds none of the script's fds: its flock goes when the script closes it", async () => {
    const c = `${work}/fd-tree`;
    const f = (n: string) => `${work}/f-${n}`;
    const [flockFile, ready, closed, go, out] = [f('flock'), f('ready'), f('closed'), f('go'), f('out')];
    // A high fd: the CLI's own fds take the low numbers, and those the holder never gets anyway.
    const s = scripts.start(
      'fds.sh',
      `exec 100>"${flockFile}"
flock 100
init_optimization_system --chroot "${c}" || exit 1
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
touch "${ready}"
while [ ! -e "${closed}" ]; do sleep 0.2; done
exec 100>&-
touch "${closed}.done"
while [ ! -e "${go}" ]; do sleep 0.2; done
generate_build_report > /dev/null; echo "report $?" >> "${out}"
`,
    );
    try {
      await waitFor('the script to be building', () => existsSync(ready) || s.child.exitCode !== null, 120_000);
      const runId = scripts.runIdIn(out);
      assert.ok(runId, s.io());
      const [h] = holdersOf(home, runId);
      assert.ok(h && isAlive(h.holder), 'a live holder holds the lock');
      assert.equal(
        openFiles(h.holder.pid).includes(flockFile),
        false,
        `holder fds: ${openFiles(h.holder.pid).join(' ')}`,
      );
      assert.equal(spawnSync('flock', ['-n', flockFile, 'true']).status, 1, 'the script holds its flock');
      writeFileSync(closed, '');
      await waitFor(
        'the script to close fd 100',
        () => existsSync(`${closed}.done`) || s.child.exitCode !== null,
        60_000,
      );
      assert.equal(spawnSync('flock', ['-n', flockFile, 'true']).status, 0, 'the flock went with the script fd');
      assert.equal(await lockHeld(c), true, 'the tree is still locked');
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      assert.match(readFileSync(out, 'utf8'), /^report 0$/m);
    } finally {
      writeFileSync(go, '');
      writeFileSync(closed, '');
    }
  });

  test('init_optimization_system in a pipeline: the lock lasts while the script lives', async () => {
    const c = `${work}/pipe-tree`;
    const [ready, go] = [`${work}/p-ready`, `${work}/p-go`];
    const s = scripts.start(
      'pipe.sh',
      `init_optimization_system --chroot "${c}" 2>&1 | tee "${work}/p-log"
touch "${ready}"
while [ ! -e "${go}" ]; do sleep 0.2; done
`,
    );
    try {
      await waitFor('the script to be building', () => existsSync(ready) || s.child.exitCode !== null, 120_000);
      assert.ok(existsSync(ready), s.io());
      const runs = readdirSync(`${home}/shell-runs`).map((f) => f.replace(/\.jsonl$/, ''));
      for (const r of runs) scripts.remember(r);
      // The pipeline's subshell is gone by now; a holder watching only it lets go within ~0.25 s.
      await sleep(1500);
      assert.equal(await lockHeld(c), true, 'the tree is locked after the pipeline ended');
      const cu = cliSync(env, ['cleanup', '--force', c], undefined, 120_000);
      assert.equal(cu.code, 3, `cleanup while the script lives: ${cu.stdout}${cu.stderr}`);
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      await waitFor('the lock to go with the script', async () => !(await lockHeld(c)), 30_000);
    } finally {
      writeFileSync(go, '');
    }
  });

  test('an empty --chroot or --target locks nothing and says so', async () => {
    const out = `${work}/e-out`;
    const s = scripts.start(
      'empty.sh',
      `init_optimization_system --chroot "\${UNSET_DIR:-}"; echo "init $?" >> "${out}"
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
optimize_performance --target ""; echo "tune $?" >> "${out}"
generate_build_report > /dev/null; echo "report $?" >> "${out}"
`,
    );
    assert.equal(await s.exited, 0, s.io());
    const runId = scripts.runIdIn(out);
    assert.ok(runId, s.io());
    assert.equal(readFileSync(out, 'utf8').replace(/^RUN=.*\n/m, ''), 'init 0\ntune 0\nreport 0\n', s.io());
    assert.match(s.io(), /init_optimization_system --chroot is empty: no tree is locked/);
    assert.match(s.io(), /optimize_performance --target is empty: no tree is locked/);
    assert.deepEqual(holdersOf(home, runId), [], 'no holder was started');
  });
});
