// --optimize-system on the real kernel settings of this machine, then rollback: every touched file
// reads back byte-for-byte as before; a dry run changes nothing; settings this machine lacks are
// reported as unavailable; a pending checkpoint is never overwritten and can be rolled back by
// another process (the crash case).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { needsRoot } from '../helpers/root.js';
import { optimizeSystem } from '../../src/host/system/kernel-apply.js';
import { planSystem, type SettingPlan } from '../../src/host/system/kernel-plan.js';
import { readCheckpoint, rollback } from '../../src/host/system/kernel-rollback.js';

const scratch = mkdtempSync('/tmp/isoswarm-test-sysctl-');
after(() => rmSync(scratch, { recursive: true, force: true }));

function snapshot(plan: SettingPlan[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const p of plan) if (existsSync(p.path)) m.set(p.path, readFileSync(p.path));
  return m;
}

function assertSame(before: Map<string, Buffer>, what: string): void {
  for (const [path, bytes] of before)
    assert.ok(readFileSync(path).equals(bytes), `${what}: ${path} reads back byte-for-byte`);
}

/** A scheduler the build disk offers other than the current one, so the test really changes it. */
function otherScheduler(plan: SettingPlan[]): string | undefined {
  const s = plan.find((p) => p.kind === 'scheduler' && p.current !== null);
  if (!s) return undefined;
  const offered = readFileSync(s.path, 'utf8').replace(/[[\]]/g, '').trim().split(/\s+/);
  return offered.find((x) => x !== s.current);
}

test('dry run returns the plan and changes nothing', () => {
  const plan = planSystem(scratch);
  const before = snapshot(plan);
  const cp = join(scratch, 'dry.json');
  const r = optimizeSystem({ buildDir: scratch, checkpointPath: cp, dryRun: true });
  assert.equal(r.dryRun, true);
  assert.equal(existsSync(cp), false, 'no checkpoint written');
  assert.ok(r.plan.length >= 5, 'vm settings, governor and scheduler planned');
  for (const p of r.plan) {
    assert.ok(p.reason.length > 0, `${p.name}: reason given`);
    if (p.action === 'unavailable')
      assert.ok(p.current === null || p.target !== null, `${p.name}: unavailable is reported, not faked`);
  }
  assertSame(before, 'dry run');
});

test('optimize then rollback restores every touched setting byte-for-byte', { skip: needsRoot() }, () => {
  const probe = planSystem(scratch);
  const targets = { ioScheduler: otherScheduler(probe) ?? 'auto' };
  const before = snapshot(planSystem(scratch, targets));
  const cp = join(scratch, 'checkpoint.json');
  try {
    const r = optimizeSystem({ buildDir: scratch, checkpointPath: cp, targets });
    const changed = r.plan.filter((p) => p.action === 'change');
    assert.ok(
      r.applied.length >= 1,
      `something was changed: ${JSON.stringify(r.plan.map((p) => [p.name, p.action, p.reason]))}`,
    );
    const saved = readCheckpoint(cp);
    assert.ok(saved, 'checkpoint written before the change');
    assert.deepEqual(
      saved.entries.map((e) => e.name),
      changed
        .map((p) => p.name)
        .concat(r.failed.map((f) => f.name))
        .filter((n, i, a) => a.indexOf(n) === i),
    );
    for (const e of saved.entries)
      assert.ok(
        Buffer.from(e.originalBase64, 'base64').equals(before.get(e.path) as Buffer),
        `${e.name}: original bytes saved`,
      );
    for (const p of r.plan.filter((x) => r.applied.includes(x.name))) {
      const now = readFileSync(p.path, 'utf8');
      assert.ok(
        p.kind === 'scheduler' ? now.includes(`[${p.target}]`) : now.trim() === p.target,
        `${p.name} is now ${p.target}`,
      );
    }
    assert.throws(
      () => optimizeSystem({ buildDir: scratch, checkpointPath: cp, targets }),
      /pending/,
      'a pending checkpoint is never overwritten',
    );
    const rb = rollback(cp);
    assert.deepEqual(rb.mismatched, []);
    assert.deepEqual(rb.restored.sort(), [...r.applied].sort());
    assert.equal(rb.checkpointRemoved, true);
    assertSame(before, 'after rollback');
  } finally {
    if (existsSync(cp)) rollback(cp);
  }
  assertSame(before, 'finally');
});

test('after a crash, another process restores from the checkpoint', { skip: needsRoot() }, () => {
  const before = snapshot(planSystem(scratch));
  const cp = join(scratch, 'crash.json');
  try {
    const r = optimizeSystem({ buildDir: scratch, checkpointPath: cp });
    assert.ok(r.applied.length >= 1, 'defaults change at least one vm setting here');
    // The process that optimized is gone (as after a crash): a new one reads the checkpoint.
    const mod = new URL('../../src/host/system/kernel-rollback.js', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(mod)}); console.log(JSON.stringify(m.rollback(${JSON.stringify(cp)})));`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const rep = JSON.parse(child.stdout) as { restored: string[]; mismatched: unknown[] };
    assert.deepEqual(rep.mismatched, []);
    assert.deepEqual(rep.restored.sort(), [...r.applied].sort());
    assertSame(before, 'restored by another process');
    assert.equal(existsSync(cp), false);
  } finally {
    if (existsSync(cp)) rollback(cp);
  }
});

test('rollback of a missing checkpoint does nothing and says so', () => {
  const rb = rollback(join(scratch, 'none.json'));
  assert.deepEqual([rb.restored, rb.mismatched, rb.checkpointRemoved], [[], [], false]);
});
