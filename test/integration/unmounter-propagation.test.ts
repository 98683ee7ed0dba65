// An overlay chroot (lower dir never touched) and shared propagation: unmounting inside the target
// must not propagate to peers outside it (the classic "umount -R chroot/dev took the host's /dev/pts").
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import {
  canariesIntact,
  mount,
  startProcess,
  waitRooted,
  withFixture,
  writeCanary,
  addUserland,
} from '../helpers/chroot-fixture.js';
import { mountsOutside, readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

test('overlay chroot with a daemon: unmounted, lower dir intact', { skip: needsRoot() }, async () => {
  await withFixture('unm-overlay', async (fx) => {
    const c = fx.chroot;
    const [lower, upper, work] = ['lower', 'upper', 'work'].map((d) => `${fx.scratch}/${d}`) as [
      string,
      string,
      string,
    ];
    for (const d of [lower, upper, work]) mkdirSync(d);
    for (const d of ['proc', 'usr', 'etc']) mkdirSync(`${lower}/${d}`);
    writeCanary(fx, `${lower}/etc/os-release`, 'ID=isoswarm-test\n');
    await mount('-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, c);
    await addUserland(c);
    await mount('-t', 'proc', 'proc', `${c}/proc`);
    const daemon = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
    await waitRooted(daemon, c);

    const { plan, result } = await teardown(fx);

    assert.equal(plan.mounts.at(-1)?.fsType, 'overlay');
    assert.equal(result.status, 'done', result.reason);
    assert.deepEqual(mountsUnder(readMountsSync(), c), []);
    assert.deepEqual(readdirSync(lower).sort(), ['etc', 'proc', 'usr']);
    assert.deepEqual(canariesIntact(fx), []);
  });
});

test(
  'shared propagation: mounts bound in from a shared scratch "host" tree are unmounted without touching their peers',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-shared', async (fx) => {
      const c = fx.chroot;
      // The "host side": a shared tmpfs with a submount, like a systemd host's /dev with /dev/pts.
      const host = `${fx.scratch}/host`;
      mkdirSync(host);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'hostside', host);
      await mount('--make-shared', host);
      mkdirSync(`${host}/pts`);
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'hostpts', `${host}/pts`);
      writeCanary(fx, `${host}/pts/ptmx-canary`);
      // The build binds it in recursively and leaves it shared (peers with the host side).
      mkdirSync(`${c}/dev`);
      await mount('--rbind', host, `${c}/dev`);
      mkdirSync(`${c}/proc`);
      await mount('-t', 'proc', 'proc', `${c}/proc`);
      const peers = readMountsSync().filter((m) => m.mountPoint === `${c}/dev`);
      assert.ok(
        peers[0]?.optionalFields.some((f) => f.startsWith('shared:')),
        'the bind really is a peer',
      );
      const before = mountsOutside(fx.scratch, c);

      const { result } = await teardown(fx);

      assert.equal(result.status, 'done', result.reason);
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      assert.deepEqual(mountsOutside(fx.scratch, c), before, 'the host side keeps every mount, its /pts included');
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);
