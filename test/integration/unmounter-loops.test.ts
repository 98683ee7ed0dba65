// Foreign mounts ("a USB stick" under chroot/mnt) are reported and left; the build's own loop
// devices are detached while the user's other loop devices stay.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { listLoopDevices } from '../../src/host/mounts/loop-devices.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import {
  canariesIntact,
  debootstrapMounts,
  makeImage,
  mount,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

test(
  'a USB stick mounted under chroot/mnt is reported as foreign and left mounted; teardown refuses to finish',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-usb', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c, { userland: false });
      const stickImg = await makeImage(`${fx.scratch}/usb-stick.img`, 'ext2');
      mkdirSync(`${c}/mnt/usb`, { recursive: true });
      await mount('-o', 'loop', stickImg, `${c}/mnt/usb`);
      writeCanary(fx, `${c}/mnt/usb/holiday-photos.txt`);

      const { plan, text, result } = await teardown(fx);

      assert.deepEqual(
        plan.foreign.map((f) => f.mount.mountPoint),
        [`${c}/mnt/usb`],
      );
      assert.match(plan.foreign[0]?.reason ?? '', /outside the target/);
      assert.ok(!plan.mounts.some((m) => m.mountPoint === `${c}/mnt/usb`));
      assert.ok(text.includes('Foreign mounts') && text.includes(`${c}/mnt/usb`), text);
      assert.equal(result.status, 'failed');
      assert.deepEqual(
        result.remaining.map((m) => m.mountPoint),
        [`${c}/mnt/usb`],
      );
      assert.match(result.reason ?? '', /foreign/);
      assert.ok(!result.attempts.some((a) => a.mountPoint === `${c}/mnt/usb`), 'never even tried');
      assert.deepEqual(
        mountsUnder(readMountsSync(), c).map((m) => m.mountPoint),
        [`${c}/mnt/usb`],
      );
      assert.equal(
        readFileSync(`${c}/mnt/usb/holiday-photos.txt`, 'utf8'),
        fx.canaries.get(`${c}/mnt/usb/holiday-photos.txt`),
      );
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

test('a build mount covered by a foreign mount is never reached through it', { skip: needsRoot() }, async () => {
  await withFixture('unm-covered', async (fx) => {
    const c = fx.chroot;
    mkdirSync(`${c}/mnt/x`, { recursive: true });
    await mount('-t', 'tmpfs', '-o', 'size=1m', 'build-x', `${c}/mnt/x`);
    // The user's stick is then mounted over chroot/mnt, with something of theirs at the same spot.
    await mount('-o', 'loop', await makeImage(`${fx.scratch}/stick.img`, 'ext2'), `${c}/mnt`);
    mkdirSync(`${c}/mnt/x`);
    await mount('-t', 'tmpfs', '-o', 'size=1m', 'users-x', `${c}/mnt/x`);
    writeCanary(fx, `${c}/mnt/x/keep`);

    const { plan, result } = await teardown(fx);

    const stick = plan.foreign.find((f) => f.mount.mountPoint === `${c}/mnt`)?.mount.source ?? '';
    assert.match(stick, /^\/dev\/loop[0-9]+$/);
    assert.deepEqual(
      plan.foreign.map((f) => f.mount.source),
      [stick, 'users-x'],
    );
    assert.equal(result.status, 'failed');
    assert.ok(
      !result.attempts.some((a) => a.mountPoint === `${c}/mnt/x`),
      'the covered build mount was never attempted',
    );
    assert.deepEqual(
      mountsUnder(readMountsSync(), c)
        .map((m) => m.source)
        .sort(),
      [stick, 'build-x', 'users-x'].sort(),
    );
    assert.deepEqual(canariesIntact(fx), []);
  });
});

test(
  "the build's loop devices (attached or mounted) are detached; the user's own loop device stays",
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-loops', async (fx) => {
      const c = fx.chroot;
      mkdirSync(`${c}/images`);
      const diskImg = await makeImage(`${c}/images/disk.img`, 'ext2');
      const userImg = await makeImage(`${fx.scratch}/user-disk.img`, 'ext2');
      // squashfs of a small tree, inside the chroot, loop-mounted at chroot/mnt/live.
      mkdirSync(`${fx.scratch}/tree`);
      writeCanary(fx, `${fx.scratch}/tree/file.txt`);
      await runOk('mksquashfs', [`${fx.scratch}/tree`, `${c}/images/fs.squashfs`, '-quiet', '-noappend']);
      mkdirSync(`${c}/mnt/live`, { recursive: true });
      await mount('-t', 'squashfs', '-o', 'loop,ro', `${c}/images/fs.squashfs`, `${c}/mnt/live`);
      const buildLoop = (await runOk('losetup', ['--find', '--show', diskImg])).stdout.trim();
      const userLoop = (await runOk('losetup', ['--find', '--show', userImg])).stdout.trim();
      // The fixture's cleanup detaches every loop device backed inside the scratch dir, the user's too.
      const { plan, text, result } = await teardown(fx);

      assert.deepEqual(plan.foreign, []);
      assert.ok(plan.loops.some((l) => l.name === buildLoop));
      assert.ok(!plan.loops.some((l) => l.name === userLoop));
      assert.ok(text.includes(buildLoop) && text.includes(diskImg), text);
      assert.equal(result.status, 'done', result.reason);
      assert.ok(result.detachedLoops.some((d) => d.device === buildLoop && d.ok));
      assert.ok(!result.detachedLoops.some((d) => d.device === userLoop));
      const loops = await listLoopDevices();
      assert.ok(!loops.some((l) => l.name === buildLoop), 'build loop detached');
      assert.ok(!loops.some((l) => l.backingFile?.startsWith(`${c}/`)), 'nothing backed inside the chroot remains');
      assert.ok(
        loops.some((l) => l.name === userLoop && l.backingFile === userImg),
        "the user's loop device stays",
      );
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
    });
  },
);
