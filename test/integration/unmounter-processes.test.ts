// Who lives in a chroot and who merely uses it, and how the ones that live there are ended.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { holdersInside, parseProcStat, processesRootedIn } from '../../src/host/proc/proc-scan.js';
import { terminateRooted } from '../../src/host/proc/terminate.js';
import {
  addUserland,
  isRunning,
  startProcess,
  startSentinel,
  waitRooted,
  withFixture,
} from '../helpers/chroot-fixture.js';
import { needsRoot } from '../helpers/root.js';

test('parseProcStat reads fields after the LAST parenthesis', () => {
  const s = parseProcStat(
    '1234 (evil) 1 2 (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10\n',
  );
  assert.deepEqual(s, { comm: 'evil) 1 2 (x)', state: 'S', startTime: 987654 });
});

test(
  'rooted processes (also in a sub-chroot) are found; holders (cwd, fd, exe) are reported separately',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-procs', async (fx) => {
      const c = fx.chroot;
      await addUserland(c);
      mkdirSync(`${c}/sub`);
      await addUserland(`${c}/sub`);
      const other = `${fx.scratch}/other-chroot`;
      mkdirSync(other);
      await addUserland(other);
      writeFileSync(`${c}/data.txt`, 'data');
      copyFileSync('/usr/bin/sleep', `${c}/my-sleep`);

      const inRoot = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
      const inSub = startProcess(fx, 'chroot', [`${c}/sub`, 'sleep', '1000']);
      const inOther = startProcess(fx, 'chroot', [other, 'sleep', '1000']);
      await Promise.all([waitRooted(inRoot, c), waitRooted(inSub, `${c}/sub`), waitRooted(inOther, other)]);
      const cwdHolder = startSentinel(fx, { cwd: `${c}/sub` });
      const fdHolder = startProcess(fx, 'sh', ['-c', `exec 3<"${c}/data.txt"; exec sleep 1000`]);
      const exeHolder = startProcess(fx, `${c}/my-sleep`, ['1000']);
      await new Promise((r) => setTimeout(r, 150));

      const rooted = (await processesRootedIn(c)).map((p) => p.pid).sort();
      assert.deepEqual(rooted, [inRoot.pid, inSub.pid].sort());
      const holders = await holdersInside(c);
      const uses = (pid: number | undefined): string[] =>
        (holders.find((h) => h.pid === pid)?.uses ?? []).map((u) => `${u.kind} ${u.path}`);
      assert.ok(uses(cwdHolder.child.pid).includes(`cwd ${c}/sub`));
      assert.ok(uses(fdHolder.pid).includes(`fd ${c}/data.txt`));
      assert.ok(uses(exeHolder.pid).includes(`exe ${c}/my-sleep`));
      assert.ok(
        !holders.some((h) => h.pid === inRoot.pid || h.pid === inOther.pid),
        'rooted processes are not holders',
      );
      assert.ok(!holders.some((h) => h.pid === process.pid));

      const records = await terminateRooted(await processesRootedIn(c), { target: c, graceMs: 500 });
      assert.deepEqual(
        records.map((r) => r.outcome),
        ['exited', 'exited'],
      );
      assert.ok(!isRunning(inRoot) && !isRunning(inSub));
      for (const p of [inOther, cwdHolder.child, fdHolder, exeHolder])
        assert.ok(isRunning(p), `pid ${p.pid} untouched`);
    });
  },
);

test(
  'PID-reuse guard: a stale start time or a process that left is never signalled',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-reuse', async (fx) => {
      const c = fx.chroot;
      await addUserland(c);
      const daemon = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
      await waitRooted(daemon, c);
      const [info] = await processesRootedIn(c);
      assert.ok(info);

      // The same pid with another start time is, by definition, another process.
      const stale = await terminateRooted([{ ...info, startTime: info.startTime - 1 }], { target: c, graceMs: 200 });
      assert.equal(stale[0]?.outcome, 'skipped-reused');
      assert.deepEqual(stale[0]?.signals, []);
      assert.ok(isRunning(daemon));

      // Judged against another target, it is not rooted there: not signalled.
      const elsewhere = await terminateRooted([info], { target: `${fx.scratch}/elsewhere`, graceMs: 200 });
      assert.equal(elsewhere[0]?.outcome, 'skipped-reused');
      assert.ok(isRunning(daemon));

      const gone = startProcess(fx, 'true', []);
      await new Promise((r) => gone.once('exit', r));
      const vanished = await terminateRooted([{ pid: gone.pid ?? 0, comm: 'true', cmdline: 'true', startTime: 1 }], {
        target: c,
      });
      // (If the pid was already reused by someone else, the start time differs: skipped, not signalled.)
      assert.ok(['vanished', 'skipped-reused'].includes(vanished[0]?.outcome ?? ''));
      assert.deepEqual(vanished[0]?.signals, []);

      const real = await terminateRooted([info], { target: c, graceMs: 200 });
      assert.equal(real[0]?.outcome, 'exited');
      assert.ok(!isRunning(daemon));
    });
  },
);
