// The dry run shows every refusal the real clean makes: on the same fixtures — a plain tree, a tree
// with a mount below it, a tree a lazy detach left in use ("lazy-detached"), a tree whose lock another
// cleanup holds ("locked"), a path outside the safe prefixes — the plan's verdict per target equals
// what the real clean then does. The plan itself changes nothing (the lazy marker stays).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import type { CleanTargetInput } from '../../agents/cleaner/types.js';
import { lazyMarkerFile } from '../../src/host/mounts/lazy-marker.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { bindHost, mount, startProcess, withFixture, writeCanary } from '../helpers/chroot-fixture.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

test('cleanup --dry-run (the plan) refuses exactly what the real clean refuses', { skip: needsRoot() }, async () => {
  await withFixture('cln-parity', async (fx) => {
    const s = fx.scratch;
    const state = `${s}/state/journal`;
    const lazyMarkerDir = `${state}/unmounter`;
    const plain = `${s}/plain`;
    const mounted = `${s}/mounted`;
    const lazy = fx.chroot;
    const locked = `${s}/locked`;
    for (const d of [plain, `${mounted}/tmp`, `${lazy}/etc`, locked, `${s}/host`]) mkdirSync(d, { recursive: true });
    for (const d of [plain, mounted, lazy, locked]) writeFileSync(`${d}/file`, 'x');
    await mount('-t', 'tmpfs', 'tmpfs', `${mounted}/tmp`);
    // A lazy detach held open by a process outside the chroot, as a teardown records it.
    writeCanary(fx, `${s}/host/keep.txt`);
    await bindHost(`${s}/host`, `${lazy}/host`);
    startProcess(fx, 'sh', ['-c', 'exec sleep 1000 < "$0"', `${lazy}/host/keep.txt`]);
    await new Promise((r) => setTimeout(r, 150));
    const td = await teardown(fx, lazy, { allowLazy: true, lazyMarkerDir });
    assert.equal(td.result.usedLazy, true, JSON.stringify(td.result));
    const held = await acquireTargetLock(locked);
    assert.ok(held);
    try {
      const targets: CleanTargetInput[] = [plain, mounted, lazy, locked, '/etc'].map((path) => ({
        path,
        kind: 'tree',
      }));
      const plan = await planClean(targets, fx.policy, fx.homes, { lazyMarkerDir });
      const planned = plan.targets.map((t) => t.refused?.code ?? 'delete');
      assert.deepEqual(planned.slice(0, 4), ['delete', 'mounted', 'lazy-detached', 'locked']);
      assert.notEqual(planned[4], 'delete', 'a path outside the safe prefixes must be refused');
      assert.ok(existsSync(lazyMarkerFile(lazyMarkerDir, lazy)), 'the plan removed the lazy marker');
      assert.ok(existsSync(`${plain}/file`), 'the plan deleted something');

      // The real clean, as the Cleaner's clean endpoint runs it: plan again, then apply.
      const real = await applyClean(await planClean(targets, fx.policy, fx.homes, { lazyMarkerDir }), {
        journalDir: `${state}/cleaner`,
        lazyMarkerDir,
        policy: fx.policy,
        homes: fx.homes,
      });
      const did = real.targets.map((t) =>
        t.status === 'refused' ? (t.code ?? 'refused') : t.status === 'done' ? 'delete' : t.status,
      );
      assert.deepEqual(did, planned);
      assert.equal(existsSync(plain), false);
      for (const d of [mounted, lazy, locked]) assert.ok(existsSync(`${d}/file`), `${d} was deleted though refused`);
    } finally {
      await held.release();
    }
  });
});
