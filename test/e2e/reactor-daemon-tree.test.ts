// A disk alert with processes still living in stale build trees, for real: a daemon chrooted into one
// tree (`chroot TREE sleep`, with the host's /usr bound in as a build would) is ended by the teardown
// and that tree is deleted; a process outside any chroot whose working directory is in another tree
// (a person's shell, a daemon started from the tree) is never signalled, and its tree is kept whole.
// A process of the same name outside every tree survives too.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { createRunDir, markDone, writeDurable, type RegisteredRun } from '../../src/run/registry.js';
import { addUserland, isRunning, waitRooted } from '../helpers/chroot-fixture.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { mountsUnder, waitFor } from '../helpers/run-watch.js';

const DAY = 24 * 3600 * 1000;

describe('a disk alert and processes living in stale build trees', { skip: needsRoot() }, () => {
  const home = scratchHome('reactor-daemon');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-reactor-daemon-fs-'));
  const disk = `${scratch}/disk`;
  const [chrooted, cwdTree, running] = [`${disk}/chrooted`, `${disk}/cwd-tree`, `${disk}/running`];
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  const registerDone = (runId: string, chroot: string) => {
    const dir = createRunDir(home, runId);
    const run: RegisteredRun = {
      runId,
      name: 'old-build',
      chroot,
      keepOnFailure: false,
      keep: null,
      aptCache: false,
      systemApplied: false,
      cli: { pid: 1, startTime: 0 },
      leaseMs: 10_000,
      graceMs: 10_000,
      record: {} as RegisteredRun['record'],
    };
    writeDurable(join(dir, 'run.json'), run);
    markDone(dir, {
      at: new Date(Date.now() - 2 * DAY).toISOString(),
      recordFile: null,
      report: null,
      exitCode: 1,
      runnerLost: false,
    });
  };
  const start = (cmd: string, args: string[], cwd?: string): ChildProcess => {
    const c = spawn(cmd, args, { detached: true, stdio: 'ignore', cwd });
    c.on('error', () => undefined);
    children.push(c);
    return c;
  };

  before(async () => {
    mkdirSync(disk);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'isoswarm-reactor-daemon', disk]);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({
        policy: { safePrefixes: [scratch], deny: [] },
        monitor: { intervalMs: 200, minAlertIntervalMs: 1000, hysteresisPct: 5 },
        cleanup: { graceMs: 2000 },
      }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json`, CLEANUP_AUTO_TRIGGER: 'true' });
    for (const t of [chrooted, cwdTree]) {
      mkdirSync(`${t}/var/lib`, { recursive: true });
      writeFileSync(`${t}/var/lib/data`, Buffer.alloc(1 << 20, 7));
    }
    await addUserland(chrooted);
    registerDone('old-build-chrooted', chrooted);
    registerDone('old-build-cwd', cwdTree);
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(async () => {
    for (const c of children) if (isRunning(c)) process.kill(-c.pid!, 'SIGKILL');
    teardownHome(home);
    for (const m of mountsUnder(disk).reverse()) await runOk('umount', [m]).catch(() => undefined);
    await runOk('umount', [disk]).catch(() => undefined);
    removeScratch(scratch);
  });

  test('the chrooted daemon is ended and its tree deleted; the tree a process works in is kept, nothing outside signalled', async () => {
    const daemon = start('chroot', [chrooted, 'sleep', '1000']);
    await waitRooted(daemon, chrooted);
    // Outside any chroot, working in the other tree: it writes down every signal it gets.
    const signals = `${scratch}/signals.log`;
    writeFileSync(signals, '');
    const shell = start(
      'sh',
      [
        '-c',
        `trap 'echo TERM >> ${signals}' TERM; trap 'echo HUP >> ${signals}' HUP; while :; do sleep 1000 & wait $!; done`,
      ],
      cwdTree,
    );
    const namesake = start('sleep', ['1000'], '/');
    await waitFor(
      'the shell to be running in its tree',
      () => isRunning(shell) && existsSync(`/proc/${shell.pid}/cwd`),
      5000,
    );

    // A build fills the disk past the alert threshold and waits for the reactor.
    const build = `mkdir -p ${running} && head -c 5242880 /dev/zero > ${running}/rootfs.img && sleep 8 && test -s ${running}/rootfs.img`;
    const r = cliSync(
      env,
      ['run', '--no-tune', '--name', 'fill', '--chroot', running, '--', 'sh', '-c', build],
      undefined,
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the chrooted tree to be deleted', () => !existsSync(chrooted), 60_000).catch((e: Error) => {
      throw new Error(
        `${e.message}; the reactor saw ${cliSync(env, ['memory', 'get', 'optimization/resource-management']).stdout}`,
      );
    });
    assert.equal(isRunning(daemon), false, 'the daemon rooted in the stale tree was ended by its teardown');
    assert.deepEqual(mountsUnder(chrooted), [], 'its /usr bind is gone');

    type Entry = { blocked?: { path: string; reason: string }[]; action?: { targets?: string[]; status: string } };
    let e: Entry | undefined;
    for (const stop = Date.now() + 60_000; !e && Date.now() < stop; await new Promise((res) => setTimeout(res, 250))) {
      const m = cliSync(env, ['memory', 'get', 'optimization/resource-management']);
      if (m.code === 0)
        e = (JSON.parse(m.stdout) as { entries: Entry[] }).entries.find((x) =>
          x.blocked?.some((b) => b.path === cwdTree),
        );
    }
    const why = e?.blocked?.find((b) => b.path === cwdTree)?.reason ?? '';
    assert.match(
      why,
      new RegExp(
        `processes still use ${cwdTree} \\(not signalled, tree kept\\): pid ${shell.pid} \\(sh\\) with its cwd ${cwdTree}`,
      ),
    );
    assert.equal(readFileSync(`${cwdTree}/var/lib/data`).length, 1 << 20, 'the tree a process works in is intact');
    assert.ok(isRunning(shell), 'the process working in the tree was not ended');
    assert.equal(readFileSync(signals, 'utf8'), '', 'and received no signal');
    assert.ok(isRunning(namesake), 'a process of the same name outside every tree survives');
  });
});
