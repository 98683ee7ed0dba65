// Nested and recursive mounts (rbind /sys, proc with submounts, stacked mounts on one path), and
// a target that is itself a mount point (tmpfs, loop-mounted ext4 image).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listLoopDevices } from '../../src/host/mounts/loop-devices.js';
import { type MountEntry, mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import {
  canariesIntact,
  debootstrapMounts,
  isRunning,
  makeImage,
  mount,
  startProcess,
  waitRooted,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

/** Every mount in `order` comes before its parent (when the parent is in the list too). */
function childrenFirst(order: readonly MountEntry[]): void {
  const pos = new Map(order.map((m, i) => [m.id, i]));
  for (const m of order) {
    const p = pos.get(m.parentId);
    if (p !== undefined)
      assert.ok((pos.get(m.id) ?? -1) < p, `${m.mountPoint} (${m.id}) before its parent ${m.parentId}`);
  }
}

test(
  'rbind /sys, proc with submounts and a three-high stack on /run: children first, to a fixed point',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-nested', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c, { userland: false, rbindSys: true });
      // binfmt_misc where the kernel has it (as on a real build host), else a tmpfs in its place.
      const binfmt = readFileSync('/proc/filesystems', 'utf8').includes('binfmt_misc') ? 'binfmt_misc' : 'tmpfs';
      await mount('-t', binfmt, binfmt, `${c}/proc/sys/fs/binfmt_misc`);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'procsub', `${c}/proc/driver`);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'run2', `${c}/run`);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'run3', `${c}/run`);
      mkdirSync(`${c}/run/lock`);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'lock', `${c}/run/lock`);
      const sysSubs = mountsUnder(readMountsSync(), `${c}/sys`).length;
      assert.ok(sysSubs > 1, 'the rbind brought submounts of /sys along');

      const { plan, result } = await teardown(fx);

      childrenFirst(plan.mounts);
      const runs = plan.mounts.filter((m) => m.mountPoint === `${c}/run`).map((m) => m.source);
      assert.deepEqual(runs, ['run3', 'run2', 'run'], 'top of the stack first');
      assert.equal(result.status, 'done', result.reason);
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      assert.equal(result.unmounted.length, plan.mounts.length);
      assert.ok(
        result.attempts.every((a) => a.ok),
        'children-first order never hits a busy parent',
      );
      // The host's own /sys tree is untouched (also checked against the whole table by withFixture).
      assert.ok(readMountsSync().some((m) => m.mountPoint === '/sys'));
    });
  },
);

test('target is itself a tmpfs mount point, with a daemon and submounts inside', { skip: needsRoot() }, async () => {
  await withFixture('unm-tmpfsroot', async (fx) => {
    const c = fx.chroot;
    await mount('-t', 'tmpfs', '-o', 'size=16m', 'buildroot', c);
    await debootstrapMounts(c);
    const daemon = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
    await waitRooted(daemon, c);

    const { plan, result } = await teardown(fx);

    assert.equal(plan.mounts.at(-1)?.mountPoint, c, 'the target mount goes last');
    assert.equal(result.status, 'done', result.reason);
    assert.ok(!isRunning(daemon));
    assert.deepEqual(mountsUnder(readMountsSync(), c), []);
  });
});

test(
  'target is a loop-mounted ext4 image (image outside the target): unmounted, loop released',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-imgroot', async (fx) => {
      const c = fx.chroot;
      const img = await makeImage(`${fx.scratch}/root.img`, 'ext4', 16);
      await mount('-o', 'loop', img, c);
      await debootstrapMounts(c, { userland: false });
      writeCanary(fx, `${fx.scratch}/beside-the-image.txt`);

      const { plan, result } = await teardown(fx);

      assert.deepEqual(plan.foreign, [], 'the mount the user named is not foreign');
      assert.equal(result.status, 'done', result.reason);
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      // mount -o loop sets autoclear: the device goes once the file system is unmounted.
      let left = 1;
      for (let i = 0; i < 50 && left > 0; i++) {
        left = (await listLoopDevices()).filter(
          (l) => l.backingFile !== null && isAtOrUnder(l.backingFile, img),
        ).length;
        if (left > 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(left, 0);
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);
