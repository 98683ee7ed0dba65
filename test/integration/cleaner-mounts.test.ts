// The Cleaner against real mounts: nothing is deleted while anything is mounted below a target,
// and the walker stops at a bind mount made after it started (same file system included).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import { deleteTree, moveAside } from '../../src/host/delete/safe-delete.js';
import {
  bindHost,
  canariesIntact,
  debootstrapMounts,
  mount,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { countEntries, makeTree } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

test(
  'a tmpfs mounted inside: plan, apply, deleteTree and moveAside all refuse; nothing is deleted',
  { skip: needsRoot() },
  async () => {
    await withFixture('cleaner-tmpfs', async (fx) => {
      makeTree(fx.chroot, 6, 20);
      mkdirSync(`${fx.chroot}/run`);
      await mount('-t', 'tmpfs', '-o', 'size=4m', 'isoswarm-test', `${fx.chroot}/run`);
      writeFileSync(`${fx.chroot}/run/pidfile`, '1');
      const before = await countEntries(fx.chroot);

      const plan = await planClean([{ path: fx.chroot, kind: 'tree' }], fx.policy, fx.homes);
      assert.equal(plan.targets[0]?.refused?.code, 'mounted');
      assert.match(plan.targets[0]?.refused?.reason ?? '', new RegExp(`"${fx.chroot}/run" \\(tmpfs`));
      assert.deepEqual(
        plan.targets[0]?.mounts.map((m) => m.mountPoint),
        [`${fx.chroot}/run`],
      );

      const d = await deleteTree(fx.chroot);
      assert.match(d.refused ?? '', /still mounted/);
      assert.equal((await moveAside(fx.chroot)).ok, false);
      // A forged plan (refusal removed) is judged again by apply.
      const forged = {
        ...plan,
        targets: plan.targets.map((t) => ({
          ...t,
          refused: null,
          action: {
            type: 'delete-tree' as const,
            size: { files: 0, dirs: 0, bytes: 0, truncated: false, skipped: [] },
          },
        })),
      };
      const r = await applyClean(forged, { journalDir: `${fx.scratch}/journal`, policy: fx.policy, homes: fx.homes });
      assert.equal(r.status, 'refused');
      assert.equal(r.targets[0]?.code, 'mounted');
      assert.deepEqual(
        r.targets[0]?.mounts?.map((m) => m.mountPoint),
        [`${fx.chroot}/run`],
      );
      assert.equal(await countEntries(fx.chroot), before, 'not one entry deleted');
      assert.equal(existsSync(`${fx.chroot}/run/pidfile`), true);
    });
  },
);

test(
  'a same-file-system bind of a host folder: refused by plan, apply and deleteTree; canaries intact',
  { skip: needsRoot() },
  async () => {
    await withFixture('cleaner-bind', async (fx) => {
      const host = `${fx.scratch}/host-src`;
      mkdirSync(host);
      writeCanary(fx, `${host}/project.c`);
      writeCanary(fx, `${host}/README`);
      makeTree(fx.chroot, 3, 10);
      await bindHost(host, `${fx.chroot}/build/src`);
      const plan = await planClean([{ path: fx.chroot, kind: 'tree' }], fx.policy, fx.homes);
      assert.equal(plan.targets[0]?.refused?.code, 'mounted');
      const r = await applyClean(plan, { journalDir: `${fx.scratch}/journal`, policy: fx.policy, homes: fx.homes });
      assert.equal(r.status, 'refused');
      assert.match((await deleteTree(fx.chroot)).refused ?? '', /build\/src/);
      // A cache or temp folder with something mounted below it is refused too.
      const cache = await planClean(
        [
          { path: `${fx.chroot}/build`, kind: 'cache', limitBytes: 0 },
          { path: `${fx.chroot}/build`, kind: 'temp', maxAgeSec: 0 },
        ],
        fx.policy,
        fx.homes,
      );
      assert.deepEqual(
        cache.targets.map((t) => t.refused?.code),
        ['mounted', 'mounted'],
      );
      assert.deepEqual(canariesIntact(fx), []);
      assert.equal(existsSync(`${fx.chroot}/g0/d0/f0`), true);
    });
  },
);

test(
  'a bind mount made after the delete started: the walker stops at it, canaries intact',
  { skip: needsRoot() },
  async () => {
    await withFixture('cleaner-late-bind', async (fx) => {
      const host = `${fx.scratch}/host-src`;
      mkdirSync(host);
      writeCanary(fx, `${host}/precious`);
      writeCanary(fx, `${host}/f1`); // same names as files in the tree
      const t = fx.chroot;
      for (let i = 0; i < 5000; i++) writeFileSync(`${t}/f${i}`, 'x'); // the root's files go first: > one 8 ms slice
      mkdirSync(`${t}/z/mnt`, { recursive: true });
      writeFileSync(`${t}/z/f1`, 'x');
      let mounted = false;
      const r = await deleteTree(t, {
        method: 'walker',
        workers: 0,
        onProgress: () => {
          if (mounted) return;
          mounted = true;
          // Synchronously, between two slices: after the start checks, before the walker reaches z.
          const m = spawnSync('mount', ['--bind', host, `${t}/z/mnt`]);
          assert.equal(m.status, 0, String(m.stderr));
          spawnSync('mount', ['--make-slave', `${t}/z/mnt`]);
        },
      });
      assert.equal(mounted, true);
      assert.equal(r.complete, false);
      assert.equal(r.skipped.length, 1);
      assert.equal(r.skipped[0]?.path, `${t}/z/mnt`);
      assert.match(r.skipped[0]?.reason ?? '', /mount point/);
      assert.deepEqual(canariesIntact(fx), []);
      assert.deepEqual(readdirSync(t), ['z'], 'everything else went');
      assert.deepEqual(readdirSync(`${t}/z`), ['mnt']);
    });
  },
);

test(
  'a debootstrap-style chroot (proc, sysfs, /dev bound, devpts, tmpfs) is refused with each mount named',
  { skip: needsRoot() },
  async () => {
    await withFixture('cleaner-deboot', async (fx) => {
      makeTree(`${fx.chroot}/usr/share`, 3, 10);
      await debootstrapMounts(fx.chroot, { userland: false });
      const plan = await planClean([{ path: fx.chroot, kind: 'tree' }], fx.policy, fx.homes);
      const reason = plan.targets[0]?.refused?.reason ?? '';
      for (const m of ['proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'run'])
        assert.ok(reason.includes(`"${fx.chroot}/${m}"`), `${m} named in: ${reason}`);
      const r = await applyClean(plan, { journalDir: `${fx.scratch}/journal`, policy: fx.policy, homes: fx.homes });
      assert.equal(r.status, 'refused');
      assert.equal(existsSync(`${fx.chroot}/usr/share/g0/d0/f0`), true);
    });
  },
);

test('pseudo file systems are refused: proc and sysfs mounted in scratch', { skip: needsRoot() }, async () => {
  await withFixture('cleaner-pseudo', async (fx) => {
    mkdirSync(`${fx.scratch}/p`);
    mkdirSync(`${fx.scratch}/s`);
    await mount('-t', 'proc', 'proc', `${fx.scratch}/p`);
    await mount('-t', 'sysfs', 'sysfs', `${fx.scratch}/s`);
    const plan = await planClean(
      [
        { path: `${fx.scratch}/p/driver`, kind: 'tree' },
        { path: `${fx.scratch}/s/class`, kind: 'tree' },
        { path: `${fx.scratch}/p`, kind: 'tree' },
      ],
      fx.policy,
      fx.homes,
    );
    assert.deepEqual(
      plan.targets.map((t) => t.refused?.code),
      ['pseudo-fs', 'pseudo-fs', 'mounted'],
    );
    assert.match((await deleteTree(`${fx.scratch}/s/class`)).refused ?? '', /pseudo file system \(sysfs/);
    assert.match((await deleteTree(`${fx.scratch}/p/driver`)).refused ?? '', /pseudo file system \(proc/);
    assert.ok(existsSync(`${fx.scratch}/s/class/net`));
  });
});
