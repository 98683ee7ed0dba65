// A script that uses the shell functions holds the build lock on its tree as `isoswarm run` does:
// named by `init_optimization_system --chroot DIR` or `optimize_performance --target DIR`, held by a
// small holder process until generate_build_report or until the script's shell dies. While it is
// held, `isoswarm cleanup` and `unmount` of the tree (of a dir around it, or of the tree through a
// bind mount), the Cleaner's clean on a disk alert and a second run on it are refused, naming the run;
// the script's own optimize_unmount and optimize_cleanup still work. A shell killed with SIGKILL
// leaves no holder behind, and a holder never outlives its shell.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { requestEndpoint } from '../../src/bus/request.js';
import { isAlive, refOf } from '../../src/host/proc/process-identity.js';
import { replyOrRefusal } from '../../src/schemas/bus-error.js';
import { rawClient } from '../helpers/bus.js';
import { cliSync } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { waitFor } from '../helpers/run-watch.js';
import { holdersOf, lockHeld, shellSuite } from '../helpers/shell-script.js';

describe('a shell script holds the build lock on its tree', { skip: needsRoot() }, () => {
  const { home, work, env, scripts } = shellSuite('shell-lock');
  const { start } = scripts;
  const runIdIn = (out: string) => scripts.runIdIn(out);

  test('init_optimization_system --chroot: others are refused while it builds, its own unmount and cleanup work', async () => {
    const c = `${work}/chroot`;
    const [ready, go, out] = [`${work}/ready`, `${work}/go`, `${work}/out`];
    const s = start(
      'build.sh',
      `init_optimization_system --chroot "${c}" || { echo "init $?" >> "${out}"; exit 1; }
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
mkdir -p "${c}/var/lib" "${c}/proc" && echo payload > "${c}/var/lib/data"
mount -t proc proc "${c}/proc"
touch "${ready}"
while [ ! -e "${go}" ]; do sleep 0.2; done
optimize_unmount "${c}"; echo "own-unmount $?" >> "${out}"
optimize_cleanup --force "${c}"; echo "own-cleanup $?" >> "${out}"
generate_build_report > /dev/null; echo "report $?" >> "${out}"
`,
    );
    try {
      await waitFor('the script to be building', () => existsSync(ready) || s.child.exitCode !== null, 120_000);
      const runId = runIdIn(out);
      assert.ok(runId, `${s.io()}${existsSync(out) ? readFileSync(out, 'utf8') : ''}`);
      const names = new RegExp(`in use by a build: run ${runId} \\(.*\\) is building in it`);

      const cu = cliSync(env, ['cleanup', '--force', c], undefined, 120_000);
      assert.equal(cu.code, 3, `cleanup of a tree a script builds in: ${cu.stdout}${cu.stderr}`);
      assert.match(cu.stdout + cu.stderr, names);
      const um = cliSync(env, ['unmount', c], undefined, 120_000);
      assert.equal(um.code, 3, `unmount of a tree a script builds in: ${um.stdout}${um.stderr}`);
      assert.match(um.stdout + um.stderr, names);
      const around = cliSync(env, ['cleanup', '--force', work], undefined, 120_000);
      assert.equal(around.code, 3, `cleanup of a dir around it: ${around.stdout}${around.stderr}`);
      assert.match(around.stdout + around.stderr, new RegExp(`contains ${c}, in use by a build: run ${runId} \\(`));
      // The same tree under another name: a bind mount of it.
      const alias = `${work}/alias`;
      mkdirSync(alias);
      assert.equal(spawnSync('mount', ['--bind', c, alias]).status, 0);
      try {
        const al = cliSync(env, ['cleanup', '--force', alias], undefined, 120_000);
        assert.equal(al.code, 3, `cleanup of the tree through a bind mount: ${al.stdout}${al.stderr}`);
        assert.match(al.stdout + al.stderr, new RegExp(`share files through a bind mount .*: run ${runId} \\(`));
      } finally {
        spawnSync('umount', [alias]);
      }
      // The reactor's auto-cleanup of a tree it judged stale: the Cleaner's clean, on a disk alert.
      const nc = await rawClient(home);
      try {
        const cl = await replyOrRefusal(
          requestEndpoint<{ result?: { targets?: { status: string; reason?: string }[] } | null }>(
            nc,
            'isoswarm',
            'cleaner',
            'clean',
            { targets: [{ path: c, kind: 'tree' }], trigger: 'disk alert' },
            60_000,
          ),
        );
        assert.equal(cl.result?.targets?.[0]?.status, 'refused', JSON.stringify(cl));
        assert.match(cl.result?.targets?.[0]?.reason ?? '', names);
      } finally {
        await nc.close();
      }
      const second = cliSync(env, ['run', '--no-tune', '--chroot', c, '--', 'touch', `${work}/second-ran`]);
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, /refusing to start on .*: .* is in use by a build: run /);
      assert.equal(existsSync(`${work}/second-ran`), false, 'the second build never started');
      assert.equal(readFileSync(`${c}/var/lib/data`, 'utf8'), 'payload\n', 'the tree is intact');
      assert.equal(s.child.exitCode, null, `the script is still going: ${s.io()}`);

      const [h] = holdersOf(home, runId);
      assert.ok(h && isAlive(h.holder), 'the run names its live holder');
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      assert.equal(
        readFileSync(out, 'utf8').replace(/^RUN=.*\n/m, ''),
        'own-unmount 0\nown-cleanup 0\nreport 0\n',
        s.io(),
      );
      assert.equal(existsSync(c), false, "the script's own cleanup deleted its tree");
      const rec = JSON.parse(readFileSync(`${home}/runs/${runId}.json`, 'utf8')) as { chroot: string | null };
      assert.equal(rec.chroot, c, "the run's record names the tree it held");
      assert.equal(await lockHeld(c), false, 'the lock is gone after generate_build_report');
      assert.equal(isAlive(h.holder), false, 'the holder has exited');
    } finally {
      writeFileSync(go, '');
    }
  });

  test('optimize_performance --target locks the tree it names (the README shape)', async () => {
    const tree = `${work}/tree`;
    mkdirSync(`${tree}/etc`, { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(`${tree}/etc/file${i}.conf`, `setting_${i} = ${'value '.repeat(50)}\n`);
    const [ready, go, out] = [`${work}/t-ready`, `${work}/t-go`, `${work}/t-out`];
    const s = start(
      'tuned.sh',
      `init_optimization_system || exit 1
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
optimize_performance --target "${tree}" || { echo "tune $?" >> "${out}"; exit 1; }
touch "${ready}"
while [ ! -e "${go}" ]; do sleep 0.2; done
generate_build_report > /dev/null; echo "report $?" >> "${out}"
`,
    );
    try {
      await waitFor('the script to be building', () => existsSync(ready) || s.child.exitCode !== null, 300_000);
      const runId = runIdIn(out);
      assert.ok(runId && existsSync(ready), `${s.io()}${existsSync(out) ? readFileSync(out, 'utf8') : ''}`);
      const cu = cliSync(env, ['cleanup', '--force', tree], undefined, 120_000);
      assert.equal(cu.code, 3, `cleanup of a tree a script builds in: ${cu.stdout}${cu.stderr}`);
      assert.match(cu.stdout + cu.stderr, new RegExp(`in use by a build: run ${runId} \\(`));
      assert.equal(existsSync(`${tree}/etc/file0.conf`), true, 'the tree is intact');
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      assert.match(readFileSync(out, 'utf8'), /^report 0$/m);
      assert.equal(await lockHeld(tree), false, 'the lock is gone after generate_build_report');
    } finally {
      writeFileSync(go, '');
    }
  });

  test('a shell killed with SIGKILL leaves no holder and no lock behind', async () => {
    const c = `${work}/killed`;
    const [ready, out] = [`${work}/k-ready`, `${work}/k-out`];
    const s = start(
      'killed.sh',
      `init_optimization_system --chroot "${c}" || exit 1
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
mkdir -p "${c}/etc" && touch "${ready}"
while :; do sleep 0.2; done
`,
    );
    await waitFor('the script to be building', () => existsSync(ready) || s.child.exitCode !== null, 120_000);
    const runId = runIdIn(out);
    assert.ok(runId, s.io());
    const [h] = holdersOf(home, runId);
    assert.ok(h && isAlive(h.holder), 'a live holder holds the lock');
    assert.equal(await lockHeld(c), true);
    assert.ok(refOf(s.child.pid!), 'the shell is alive');
    process.kill(s.child.pid!, 'SIGKILL');
    await s.exited;
    // Generous: the holder looks at the shell a few times a second, the machine may be loaded.
    await waitFor('the holder to exit after its shell died', () => !isAlive(h.holder), 30_000);
    assert.equal(await lockHeld(c), false, 'the lock is gone with its holder');
    // The loop's last sleep is the script's only other process; it goes with its group.
    process.kill(-s.child.pid!, 'SIGKILL');
    const cu = cliSync(env, ['cleanup', '--force', c], undefined, 120_000);
    assert.equal(cu.code, 0, `the tree is free again: ${cu.stdout}${cu.stderr}`);
    assert.equal(existsSync(c), false);
  });
});
