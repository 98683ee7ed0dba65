// Busy mounts: a chroot process holding chroot/dev/null (killed), and a host folder held by a
// process OUTSIDE the chroot (reported, never signalled, teardown refused to finish).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { lazyMarkerFile } from '../../src/host/mounts/lazy-marker.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
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
  '/dev bound and held through chroot/dev/null by a TERM-ignoring process: killed, unmounted, host /dev/null intact',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-devbusy', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c);
      // SIG_IGN survives exec: this sleep ignores SIGTERM and holds /dev/null (the host's node, via the bind).
      const holder = startProcess(fx, 'chroot', [c, 'sh', '-c', 'trap "" TERM; exec sleep 1000 < /dev/null']);
      await waitRooted(holder, c);
      const sentinel = startSentinel(fx);

      const { plan, result } = await teardown(fx);

      assert.deepEqual(
        plan.processes.map((p) => p.pid),
        [holder.pid],
      );
      assert.equal(result.status, 'done', result.reason);
      const rec = result.signalled[0];
      assert.equal(rec?.outcome, 'killed');
      assert.deepEqual(
        rec?.signals.map((s) => s.signal),
        ['SIGTERM', 'SIGKILL'],
      );
      const gap = Date.parse(rec?.signals[1]?.at ?? '') - Date.parse(rec?.signals[0]?.at ?? '');
      assert.ok(gap >= 400, `grace period honoured (${gap} ms)`);
      assert.ok(!isRunning(holder));
      assert.ok(isRunning(sentinel.child));
      assert.equal(readFileSync(sentinel.signalLog, 'utf8'), '');
      assert.deepEqual(mountsUnder(readMountsSync(), c), []);
      const devNull = statSync('/dev/null');
      assert.ok(devNull.isCharacterDevice());
      assert.equal(devNull.rdev, (1 << 8) | 3);
    });
  },
);

test(
  'host folder on the same file system, held by a shell outside: reported, not signalled, teardown refused to finish',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-holder', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c, { userland: false });
      const hostSrc = `${fx.scratch}/project`;
      mkdirSync(`${hostSrc}/src`, { recursive: true });
      writeCanary(fx, `${hostSrc}/src/main.c`, 'int main(void) { return 0; }\n');
      await bindHost(hostSrc, `${c}/build/project`);
      // The user's shell, outside the chroot, with its working directory inside the bind.
      const shell = startSentinel(fx, { cwd: `${c}/build/project/src` });
      await new Promise((r) => setTimeout(r, 100));

      const { plan, text, result } = await teardown(fx);

      assert.deepEqual(plan.processes, [], 'nothing is rooted in the chroot');
      const h = plan.holders.find((x) => x.pid === shell.child.pid);
      assert.ok(h, 'the shell is reported as a holder');
      assert.ok(h.uses.some((u) => u.kind === 'cwd' && u.path === `${c}/build/project/src`));
      assert.ok(text.includes('NOT signalled') && text.includes(`pid ${shell.child.pid}`), text);

      assert.equal(result.status, 'failed');
      assert.deepEqual(result.signalled, []);
      assert.equal(result.usedLazy, false);
      assert.ok(!result.attempts.some((a) => a.strategy === 'lazy'));
      assert.deepEqual(
        result.remaining.map((m) => m.mountPoint),
        [`${c}/build/project`],
      );
      assert.ok(result.reason?.includes(`pid ${shell.child.pid}`), result.reason);
      assert.ok(result.holders.some((x) => x.pid === shell.child.pid));
      assert.ok(isRunning(shell.child), 'the shell is alive');
      assert.equal(readFileSync(shell.signalLog, 'utf8'), '', 'the shell received no signal');
      assert.deepEqual(canariesIntact(fx), []);
      // Everything else was unmounted; only the held bind is left.
      assert.deepEqual(
        mountsUnder(readMountsSync(), c).map((m) => m.mountPoint),
        [`${c}/build/project`],
      );
      assert.ok(result.attempts.filter((a) => isAtOrUnder(a.mountPoint, `${c}/build/project`)).every((a) => !a.ok));
    });
  },
);

test('lazy detach only when allowed, recorded, and the run still refuses deletion', { skip: needsRoot() }, async () => {
  await withFixture('unm-lazy', async (fx) => {
    const c = fx.chroot;
    mkdirSync(`${fx.scratch}/host`);
    writeCanary(fx, `${fx.scratch}/host/keep.txt`);
    await bindHost(`${fx.scratch}/host`, `${c}/host`);
    const shell = startSentinel(fx, { cwd: `${c}/host` });
    await new Promise((r) => setTimeout(r, 100));

    const { result } = await teardown(fx, fx.chroot, {
      allowLazy: true,
      lazyMarkerDir: `${fx.scratch}/state/journal/unmounter`,
    });

    assert.equal(result.usedLazy, true);
    assert.ok(result.attempts.some((a) => a.strategy === 'lazy' && a.ok));
    assert.ok(
      result.attempts.findIndex((a) => a.strategy === 'lazy') >
        result.attempts.findIndex((a) => a.strategy === 'umount'),
      'lazy came last',
    );
    assert.equal(result.status, 'failed');
    assert.match(result.reason ?? '', /lazy/);
    assert.ok(existsSync(lazyMarkerFile(`${fx.scratch}/state/journal/unmounter`, c)), 'recorded for the Cleaner');
    assert.ok(isRunning(shell.child));
    assert.equal(readFileSync(shell.signalLog, 'utf8'), '');
    assert.deepEqual(canariesIntact(fx), []);
  });
});
