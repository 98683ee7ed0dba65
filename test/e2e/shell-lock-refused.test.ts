// When a shell script's tree cannot be locked, the script is told and nothing holds it: a tree a
// cleanup is working on, or another script's tree, is refused (exit 3, `set -e` stops the script, the
// other run named); a tree the path policy never lets isoswarm take apart is left unlocked with a
// note; a run whose recorded shell is gone (its pid now another process's) starts no holder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { refOf } from '../../src/host/proc/process-identity.js';
import { holderEntry } from '../../src/run/shell-lock.js';
import { cliSync } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { waitFor } from '../helpers/run-watch.js';
import { holdersOf, lockHeld, shellSuite } from '../helpers/shell-script.js';

describe("a shell script's tree that cannot be locked", { skip: needsRoot() }, () => {
  const { home, work, env, scripts } = shellSuite('shell-lock-refused');

  test('a tree a cleanup is working on: init_optimization_system --chroot returns 3 and set -e stops the script', async () => {
    const c = `${work}/busy`;
    mkdirSync(c);
    const lock = await acquireTargetLock(c);
    assert.ok(lock, 'the test holds the lock as a cleanup would');
    try {
      const s = scripts.start(
        'busy.sh',
        `set -e\ninit_optimization_system --chroot "${c}"\necho "RUN=$ISOSWARM_RUN_ID" > "${work}/busy.out"\n`,
      );
      assert.equal(await s.exited, 3, s.io());
      assert.match(s.io(), /refusing to lock .*\/busy for run \S+: a cleanup or teardown of .*\/busy is running/);
      assert.equal(existsSync(`${work}/busy.out`), false, 'the script stopped there');
      assert.equal(await lockHeld(c), false);
    } finally {
      await lock.release();
    }
  });

  test("another script's tree is refused, naming that script's run; free again after its report", async () => {
    const c = `${work}/shared`;
    const [ready, go, out] = [`${work}/a-ready`, `${work}/a-go`, `${work}/a-out`];
    const a = scripts.start(
      'first.sh',
      `init_optimization_system --chroot "${c}" || exit 1
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
touch "${ready}"
while [ ! -e "${go}" ]; do sleep 0.2; done
generate_build_report > /dev/null
`,
    );
    try {
      await waitFor('the first script to hold its tree', () => existsSync(ready) || a.child.exitCode !== null, 120_000);
      const first = scripts.runIdIn(out);
      assert.ok(first, a.io());
      const b = scripts.start(
        'second.sh',
        `init_optimization_system --chroot "${c}"; echo "init $?" > "${work}/b-out"
echo "RUN=$ISOSWARM_RUN_ID" >> "${work}/b-out"
`,
      );
      assert.equal(await b.exited, 0, b.io());
      assert.match(readFileSync(`${work}/b-out`, 'utf8'), /^init 3$/m);
      assert.match(b.io(), new RegExp(`is in use by a build: run ${first} \\(shell pid \\d+, lock holder pid \\d+\\)`));
      const second = scripts.runIdIn(`${work}/b-out`);
      assert.ok(second);
      assert.deepEqual(holdersOf(home, second), [], 'the second run holds nothing');
      assert.equal(holdersOf(home, first).length, 1, 'the first run still holds its tree');
      writeFileSync(go, '');
      assert.equal(await a.exited, 0, a.io());
      assert.equal(await lockHeld(c), false, 'free after the first script reported');
    } finally {
      writeFileSync(go, '');
    }
  });

  test('a tree the path policy never lets isoswarm take apart is left unlocked, with a note', async () => {
    const s = scripts.start(
      'policy.sh',
      `init_optimization_system --chroot /srv; echo "init $?" > "${work}/p-out"
echo "RUN=$ISOSWARM_RUN_ID" >> "${work}/p-out"
init_optimization_system --bogus; echo "bogus $?" >> "${work}/p-out"
`,
    );
    assert.equal(await s.exited, 0, s.io());
    const out = readFileSync(`${work}/p-out`, 'utf8');
    assert.match(out, /^init 0$/m, s.io());
    assert.match(out, /^bogus 2$/m, 'an unknown option is a usage error');
    assert.match(s.io(), /isoswarm: \/srv is not locked: isoswarm never takes it apart \(.+\)/);
    const runId = scripts.runIdIn(`${work}/p-out`);
    assert.ok(runId);
    assert.deepEqual(holdersOf(home, runId), []);
    assert.equal(await lockHeld('/srv'), false);
  });

  test('a run whose recorded shell is gone (its pid reused) starts no holder', () => {
    const runId = 'reused-20260101T000000Z-abcd';
    const me = refOf(process.pid)!;
    mkdirSync(`${home}/shell-runs`, { recursive: true, mode: 0o700 });
    // The run's shell had this pid, but started at another time: that shell is gone.
    const open = { kind: 'open', runId, name: 'reused', command: [], startedAt: new Date().toISOString() };
    writeFileSync(
      `${home}/shell-runs/${runId}.jsonl`,
      `${JSON.stringify({ ...open, pid: me.pid, pidStart: me.startTime - 1 })}\n`,
    );
    scripts.remember(runId);
    const r = cliSync(env, ['shell-run', 'lock', runId, `${work}/reused`]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /the script's shell \(pid \d+\) that opened run reused-\S+ is gone/);
    assert.deepEqual(holdersOf(home, runId), []);
  });

  test('a holder that finds its run closed once it holds the lock lets go (a lock racing close)', async () => {
    // `shell-run close` writes its line first; a holder started by a `shell-run lock` that checked the
    // journal just before sees that line after its own and lets go, so no holder outlives the run.
    const runId = 'raced-20260101T000000Z-abcd';
    const me = refOf(process.pid)!;
    const file = `${home}/shell-runs/${runId}.jsonl`;
    const open = { kind: 'open', runId, name: 'raced', command: [], startedAt: new Date().toISOString() };
    mkdirSync(`${home}/shell-runs`, { recursive: true, mode: 0o700 });
    const lines = [
      { ...open, pid: me.pid, pidStart: me.startTime },
      { kind: 'close', endedAt: open.startedAt },
    ];
    writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    scripts.remember(runId);
    const tree = `${work}/raced`;
    const args = [holderEntry, file, runId, tree, `${home}/memory`, String(me.pid), String(me.startTime)];
    const h = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    assert.equal(h.status, 3, `the holder let go and refused: ${h.stdout}${h.stderr}`);
    assert.equal(await lockHeld(tree), false, 'no lock is left on the tree');
  });
});
