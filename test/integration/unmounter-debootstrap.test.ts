// A debootstrap-style chroot with a daemon left running: torn down completely, host untouched.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import {
  bindHost,
  canariesIntact,
  debootstrapMounts,
  isRunning,
  startProcess,
  startSentinel,
  waitRooted,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

test(
  'debootstrap-style chroot: daemon killed, everything unmounted children first, host untouched',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-deboot', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c);
      mkdirSync(`${fx.scratch}/host-apt`);
      writeCanary(fx, `${fx.scratch}/host-apt/archive.deb`);
      await bindHost(`${fx.scratch}/host-apt`, `${c}/var/cache/apt`);
      const daemon = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
      await waitRooted(daemon, c);
      const sameName = startProcess(fx, 'sleep', ['1000']);
      const sentinel = startSentinel(fx);

      const { plan, text, result, journal } = await teardown(fx);

      assert.equal(plan.refused, null);
      assert.deepEqual(
        plan.processes.map((p) => p.pid),
        [daemon.pid],
      );
      assert.ok(text.includes(`pid ${daemon.pid}`) && text.includes('sleep 1000'), text);
      assert.ok(text.includes('devpts') && text.includes('/dev/pts'), text);
      const at = (suffix: string): number => plan.mounts.findIndex((m) => m.mountPoint === c + suffix);
      assert.ok(at('/dev/pts') >= 0 && at('/dev/pts') < at('/dev'), 'devpts before /dev');
      assert.ok(at('/dev/shm') < at('/dev'), '/dev/shm before /dev');
      assert.equal(plan.mounts.length, 8, 'usr, proc, sys, dev, dev/pts, dev/shm, run and the apt bind');

      assert.equal(result.status, 'done', result.reason);
      assert.deepEqual(
        result.signalled.map((s) => [s.pid, s.outcome]),
        [[daemon.pid, 'exited']],
      );
      assert.equal(result.signalled[0]?.signals[0]?.signal, 'SIGTERM');
      assert.equal(result.usedLazy, false);
      assert.deepEqual(result.remaining, []);
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      assert.equal(new Set(result.unmounted).size, 8);
      assert.ok(!isRunning(daemon), 'the daemon in the chroot is dead');
      assert.ok(isRunning(sameName), 'a same-named process outside survives');
      assert.ok(isRunning(sentinel.child), 'unrelated process alive');
      assert.equal(readFileSync(sentinel.signalLog, 'utf8'), '', 'no signal reached a process outside');
      assert.deepEqual(canariesIntact(fx), []);

      const steps = journal.map((j) => `${j.phase}:${String(j.step.step)}`);
      assert.deepEqual(steps, [
        'begin:terminate',
        'done:terminate',
        'begin:unmount',
        'done:unmount',
        'begin:verify',
        'done:verify',
      ]);
    });
  },
);

test('a second teardown of a clean chroot is a quick no-op that reports done', { skip: needsRoot() }, async () => {
  await withFixture('unm-idem', async (fx) => {
    await debootstrapMounts(fx.chroot, { userland: false });
    assert.equal((await teardown(fx)).result.status, 'done');
    const again = await teardown(fx);
    assert.equal(again.result.status, 'done');
    assert.deepEqual(again.result.attempts, []);
    assert.deepEqual(again.plan.mounts, []);
  });
});
