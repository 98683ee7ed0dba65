// "Never delete after a lazy detach", across runs: a teardown that had to detach a bind lazily
// (a process outside the chroot holds a file open on it) records it; a later cleanup of the tree is
// refused while that process keeps the detached mount alive, and completes once it has exited.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import { lazyMarkerFile } from '../../src/host/mounts/lazy-marker.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import {
  bindHost,
  canariesIntact,
  isRunning,
  startProcess,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

test(
  'lazy detach held open by a process: cleanup refused ("lazy-detached") until the process exits, then completes',
  { skip: needsRoot() },
  async () => {
    await withFixture('cln-lazy', async (fx) => {
      const c = fx.chroot;
      const state = `${fx.scratch}/state/journal`;
      mkdirSync(`${fx.scratch}/host`);
      writeCanary(fx, `${fx.scratch}/host/keep.txt`);
      mkdirSync(`${c}/etc`);
      writeFileSync(`${c}/etc/hostname`, 'chroot\n');
      await bindHost(`${fx.scratch}/host`, `${c}/host`);
      // Outside the chroot, holding a file open through the bind: never signalled, so umount is busy.
      const holder = startProcess(fx, 'sh', ['-c', 'exec sleep 1000 < "$0"', `${c}/host/keep.txt`]);
      await new Promise((r) => setTimeout(r, 150));

      const { result } = await teardown(fx, c, { allowLazy: true, lazyMarkerDir: `${state}/unmounter` });
      assert.equal(result.usedLazy, true, JSON.stringify(result));
      assert.equal(result.status, 'failed');
      assert.match(result.reason ?? '', /deletion must not follow/);
      assert.deepEqual(mountsUnder(readMountsSync(), c), [], 'nothing attached under the chroot any more');
      assert.ok(existsSync(lazyMarkerFile(`${state}/unmounter`, c)), 'the lazy detach is recorded');

      // A later run: the Cleaner (journal dir `<state>/cleaner`, markers in its `unmounter` sibling).
      const refused = await applyClean(await planClean([{ path: c, kind: 'tree' }], fx.policy, fx.homes), {
        journalDir: `${state}/cleaner`,
        policy: fx.policy,
        homes: fx.homes,
      });
      const t = refused.targets[0];
      assert.equal(t?.status, 'refused', JSON.stringify(refused));
      assert.equal(t?.code, 'lazy-detached');
      assert.ok(t?.reason?.includes(`${c}/host`), t?.reason);
      assert.ok(t?.reason?.includes(`pid ${holder.pid}`), t?.reason);
      assert.ok(existsSync(`${c}/etc/hostname`), 'nothing deleted');
      assert.ok(isRunning(holder), 'the holder was not signalled');

      holder.kill('SIGKILL');
      await new Promise((r) =>
        holder.exitCode !== null || holder.signalCode !== null ? r(null) : holder.once('exit', r),
      );
      const done = await applyClean(await planClean([{ path: c, kind: 'tree' }], fx.policy, fx.homes), {
        journalDir: `${state}/cleaner`,
        policy: fx.policy,
        homes: fx.homes,
      });
      assert.equal(done.status, 'done', JSON.stringify(done));
      assert.equal(existsSync(c), false);
      assert.deepEqual(
        readdirSync(`${state}/unmounter`).filter((n) => n.endsWith('.lazy-detach.json')),
        [],
        'marker cleared',
      );
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

test(
  'a lazy-detach marker that cannot be read refuses every tree (it said "do not delete" for one of them)',
  { skip: needsRoot() },
  async () => {
    await withFixture('cln-lazybad', async (fx) => {
      const state = `${fx.scratch}/state/journal`;
      mkdirSync(`${fx.scratch}/chroot/x`, { recursive: true });
      mkdirSync(`${state}/unmounter`, { recursive: true });
      writeFileSync(lazyMarkerFile(`${state}/unmounter`, `${fx.scratch}/chroot`), '{"v":1,"tar');
      const r = await applyClean(await planClean([{ path: fx.chroot, kind: 'tree' }], fx.policy, fx.homes), {
        journalDir: `${state}/cleaner`,
        policy: fx.policy,
        homes: fx.homes,
      });
      assert.equal(r.targets[0]?.code, 'lazy-detached', JSON.stringify(r));
      assert.ok(existsSync(`${fx.scratch}/chroot/x`));
    });
  },
);

test('a marker for another tree does not refuse this one', { skip: needsRoot() }, async () => {
  await withFixture('cln-lazyother', async (fx) => {
    const state = `${fx.scratch}/state/journal`;
    mkdirSync(`${fx.chroot}/x`, { recursive: true });
    mkdirSync(`${state}/unmounter`, { recursive: true });
    const other = `${fx.scratch}/chroot2`;
    writeFileSync(
      lazyMarkerFile(`${state}/unmounter`, other),
      JSON.stringify({
        v: 1,
        target: other,
        recordedAt: 'now',
        mounts: [{ id: 999999, mountPoint: `${other}/x`, fsType: 'tmpfs', source: 'tmpfs', root: '/' }],
      }),
    );
    const r = await applyClean(await planClean([{ path: fx.chroot, kind: 'tree' }], fx.policy, fx.homes), {
      journalDir: `${state}/cleaner`,
      policy: fx.policy,
      homes: fx.homes,
    });
    assert.equal(r.status, 'done', JSON.stringify(r));
  });
});
