// Mount points with spaces, tabs, newlines, backslashes and regex characters; a look-alike
// neighbour (chroot2) that must not be touched; symlinked paths that must not be followed.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { test } from 'node:test';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { assertNoSymlinks } from '../../src/host/mounts/unmount.js';
import { canariesIntact, mount, withFixture, writeCanary } from '../helpers/chroot-fixture.js';
import { mountsOutside, readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

const NAMES = ['with space', 'tab\there', 'new\nline', 'back\\slash', '[a-z].*+?(x)|$', 'ünïcødé', ' lead and trail '];

test(
  'mount points with spaces, tabs, newlines and pattern characters are unmounted by their exact names',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-names', async (fx) => {
      const c = fx.chroot;
      for (const n of NAMES) {
        mkdirSync(`${c}/mnt/${n}`, { recursive: true });
        await mount('-t', 'tmpfs', '-o', 'size=1m', `src ${n}`, `${c}/mnt/${n}`);
      }
      // A look-alike neighbour whose name starts with the target's name, plus one with a space.
      for (const n of ['chroot2', 'chroot.old', 'chroot x']) {
        mkdirSync(`${fx.scratch}/${n}/mnt`, { recursive: true });
        await mount('-t', 'tmpfs', '-o', 'size=1m', 'neighbour', `${fx.scratch}/${n}/mnt`);
        writeCanary(fx, `${fx.scratch}/${n}/mnt/keep`);
      }
      const neighbours = mountsOutside(fx.scratch, c);

      const { plan, text, result } = await teardown(fx);

      assert.deepEqual(plan.mounts.map((m) => m.mountPoint).sort(), NAMES.map((n) => `${c}/mnt/${n}`).sort());
      assert.ok(
        text.includes('tab\\there') && text.includes('new\\nline'),
        'the dry-run text shows control characters visibly',
      );
      assert.equal(result.status, 'done', result.reason);
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      assert.deepEqual(mountsOutside(fx.scratch, c), neighbours, 'chroot2, chroot.old and "chroot x" untouched');
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

test('a path with a symlinked component is refused, never followed', { skip: needsRoot() }, async () => {
  await withFixture('unm-symlink', async (fx) => {
    const c = fx.chroot;
    const victim = `${fx.scratch}/victim`;
    mkdirSync(`${victim}/mnt`, { recursive: true });
    await mount('-t', 'tmpfs', '-o', 'size=1m', 'victim', `${victim}/mnt`);
    writeCanary(fx, `${victim}/mnt/keep`);
    symlinkSync(victim, `${c}/evil`);
    await assert.rejects(assertNoSymlinks(`${c}/evil/mnt`), /symlink/);
    await assert.doesNotReject(assertNoSymlinks(`${victim}/mnt`));
    await assert.rejects(assertNoSymlinks(`${c}/../victim/mnt`), /non-canonical/);

    const { result } = await teardown(fx);

    assert.equal(result.status, 'done');
    assert.ok(
      readMountsSync().some((m) => m.mountPoint === `${victim}/mnt`),
      'the victim stays mounted',
    );
    assert.deepEqual(canariesIntact(fx), []);
  });
});
