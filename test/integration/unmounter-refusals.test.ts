// Targets that must be refused before anything happens: `/`, "", blanks, `dir/..`, a symlink to
// `/`, a relative path, outside the safe prefixes, a forged plan, a directory swapped after planning.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { test } from 'node:test';
import { applyTeardown } from '../../agents/unmounter/apply.js';
import { formatPlan, planTeardown } from '../../agents/unmounter/plan.js';
import type { TeardownPlan } from '../../agents/unmounter/types.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import {
  debootstrapMounts,
  type Fixture,
  isRunning,
  startProcess,
  waitRooted,
  withFixture,
} from '../helpers/chroot-fixture.js';
import { mountKey, readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';

function scratchMounts(fx: Fixture): string[] {
  return mountsUnder(readMountsSync(), fx.scratch).map(mountKey).sort();
}

test('dangerous targets are refused by plan and by apply, and nothing is touched', { skip: needsRoot() }, async () => {
  await withFixture('unm-refuse', async (fx) => {
    const c = fx.chroot;
    await debootstrapMounts(c);
    const daemon = startProcess(fx, 'chroot', [c, 'sleep', '1000']);
    await waitRooted(daemon, c);
    symlinkSync('/', `${fx.scratch}/link-to-root`);
    symlinkSync('/etc', `${fx.scratch}/link-to-etc`);
    mkdirSync(`${c}/sub`);
    const before = scratchMounts(fx);

    const cases: Array<[string, string]> = [
      ['/', 'root'],
      ['', 'empty'],
      ['   ', 'empty'],
      [`${c}/sub/../..`, 'outside-safe-prefixes'], // the safe prefix itself
      [`${c}/..`, 'outside-safe-prefixes'],
      ['chroot/..', 'not-absolute'],
      ['chroot', 'not-absolute'],
      [`${fx.scratch}/link-to-root`, 'root'],
      [`${fx.scratch}/link-to-etc`, 'top-level'],
      [`${c}/does-not-exist`, 'not-found'],
      [`${c} `, 'not-absolute'],
      ['/tmp', 'top-level'],
      ['/var/tmp', 'denied'],
      ['/root', 'top-level'],
      ['/var/lib', 'denied'],
    ];
    for (const [input, code] of cases) {
      const plan = await planTeardown(input, fx.policy, fx.homes);
      assert.equal(plan.refused?.code, code, `${JSON.stringify(input)} -> ${plan.refused?.code}`);
      assert.deepEqual([plan.processes, plan.mounts, plan.loops], [[], [], []]);
      assert.match(formatPlan(plan), /^REFUSED/);
      const result = await applyTeardown(plan, { policy: fx.policy, homes: fx.homes, graceMs: 200 });
      assert.equal(result.status, 'refused');
      assert.deepEqual(result.signalled, []);
    }
    // The chroot itself, outside the configured safe prefixes.
    const elsewhere = await planTeardown(c, { ...fx.policy, safePrefixes: [`${fx.scratch}/other`] }, fx.homes);
    assert.equal(elsewhere.refused?.code, 'outside-safe-prefixes');
    // The root user's home and its ancestors, with a home passed in.
    const homePlan = await planTeardown(`${c}/sub`, fx.policy, [`${c}/sub/home/alice`]);
    assert.equal(homePlan.refused?.code, 'home');

    assert.ok(isRunning(daemon), 'no process was signalled');
    assert.deepEqual(scratchMounts(fx), before, 'no mount was touched');
  });
});

test(
  'apply never trusts the plan: forged verdicts and swapped directories are refused',
  { skip: needsRoot() },
  async () => {
    await withFixture('unm-forged', async (fx) => {
      const c = fx.chroot;
      await debootstrapMounts(c, { userland: false });
      const before = scratchMounts(fx);
      const forgedRoot: TeardownPlan = {
        input: '/',
        target: { path: '/', fileId: '0:0' },
        refused: null,
        processes: [],
        holders: [],
        mounts: [],
        foreign: [],
        loops: [],
        createdAt: new Date().toISOString(),
      };
      const r1 = await applyTeardown(forgedRoot, { policy: fx.policy, homes: fx.homes });
      assert.equal(r1.status, 'refused');
      assert.match(r1.reason ?? '', /root/);

      // Planned under a permissive policy, applied under the real one.
      const loose = await planTeardown(c, { safePrefixes: ['/tmp'], deny: [] }, []);
      assert.equal(loose.refused, null);
      const r2 = await applyTeardown(loose, {
        policy: { ...fx.policy, safePrefixes: [`${fx.scratch}/other`] },
        homes: fx.homes,
      });
      assert.equal(r2.status, 'refused');

      // The directory named by the plan was swapped for another one since planning.
      const plan = await planTeardown(c, fx.policy, fx.homes);
      assert.equal(plan.refused, null);
      const moved = `${fx.scratch}/moved-chroot`;
      renameSync(c, moved);
      mkdirSync(c);
      const r3 = await applyTeardown(plan, { policy: fx.policy, homes: fx.homes });
      assert.equal(r3.status, 'refused');
      assert.match(r3.reason ?? '', /changed since it was planned/);
      assert.equal(scratchMounts(fx).length, before.length, 'nothing was unmounted');
    });
  },
);
