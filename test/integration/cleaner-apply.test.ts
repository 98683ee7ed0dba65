// applyClean end to end on real trees and real processes: a clean run, two runs at once, a run
// killed (SIGKILL, SIGTERM) after the rename or in the middle of the delete and finished by the
// next run, and forged plans judged again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { after, test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import { resumeUnfinished } from '../../agents/cleaner/resume.js';
import type { CleanPlan } from '../../agents/cleaner/types.js';
import { listUnfinished } from '../../src/host/guard/journal.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import {
  brokenCanaries,
  countEntries,
  makeScratch,
  makeTree,
  removeScratch,
  writeCanaries,
} from '../helpers/cleaner-fixture.js';

const scratch = makeScratch('apply');
const policy: PathPolicy = { safePrefixes: [`${scratch}/builds`], deny: defaultDeny() };
const homes = ['/root'];
const journalDir = `${scratch}/state/journal`;
mkdirSync(`${scratch}/builds`, { recursive: true });
after(() => removeScratch(scratch));

const trashIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.isoswarm-trash-'));

test('a clean run moves the tree aside, deletes it, unlinks symlinks to host canaries, finishes its journal', async () => {
  const canaries = writeCanaries(`${scratch}/host`);
  const t = `${scratch}/builds/chroot-a`;
  const files = makeTree(t, 10, 20, 3);
  symlinkSync(`${scratch}/host`, `${t}/hostdir`);
  symlinkSync(`${scratch}/host/canary-1`, `${t}/g0/hostfile`);
  const progress: number[] = [];
  const logs: string[] = [];
  const plan = await planClean([{ path: t, kind: 'tree' }], policy, homes);
  const r = await applyClean(plan, {
    journalDir,
    policy,
    homes,
    onProgress: (p) => progress.push(p.files),
    log: { info: (_o, m) => logs.push(m ?? ''), warn: (_o, m) => logs.push(`warn ${m}`) },
  });
  assert.equal(r.status, 'done', JSON.stringify(r));
  assert.deepEqual(r.targets[0]?.deleted, {
    files: files + 2,
    dirs: 10 + 7 + 1,
    bytes: files * 3 + `${scratch}/host`.length + `${scratch}/host/canary-1`.length,
  });
  assert.equal(existsSync(t), false);
  assert.deepEqual(trashIn(`${scratch}/builds`), []);
  assert.deepEqual(brokenCanaries(canaries), []);
  assert.deepEqual(logs, ['moved aside', 'tree deleted']);
  assert.equal(progress.at(-1), files + 2);
  assert.deepEqual(await listUnfinished(journalDir), []);
});

test('two runs on one target at once: exactly one refuses with "locked"', async () => {
  const t = `${scratch}/builds/chroot-b`;
  makeTree(t, 40, 100);
  const plan = await planClean([{ path: t, kind: 'tree' }], policy, homes);
  const [a, b] = await Promise.all([
    applyClean(plan, { journalDir, policy, homes }),
    applyClean(plan, { journalDir, policy, homes }),
  ]);
  const codes = [a.targets[0]?.code, b.targets[0]?.code];
  assert.deepEqual([a.status, b.status].sort(), ['done', 'refused'], JSON.stringify([a, b]));
  assert.ok(codes.includes('locked'), JSON.stringify(codes));
  assert.equal(existsSync(t), false);
});

test('a run while another process holds the target lock refuses and touches nothing', async () => {
  const t = `${scratch}/builds/chroot-c`;
  makeTree(t, 2, 5);
  const mod = new URL('../../src/host/guard/target-lock.js', import.meta.url).pathname;
  const code = `const { acquireTargetLock } = await import(${JSON.stringify(mod)}); const l = await acquireTargetLock(${JSON.stringify(t)}); process.stdout.write(l ? 'held\\n' : 'busy\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    assert.equal(await new Promise((r) => child.stdout.once('data', (b: Buffer) => r(b.toString().trim()))), 'held');
    const before = await countEntries(t);
    const r = await applyClean(await planClean([{ path: t, kind: 'tree' }], policy, homes), {
      journalDir,
      policy,
      homes,
    });
    assert.equal(r.status, 'refused');
    assert.equal(r.targets[0]?.code, 'locked');
    assert.equal(await countEntries(t), before);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  assert.ok(await acquireTargetLock(t).then((l) => l?.release().then(() => true)), 'released by the kernel');
});

/** Runs applyClean in a child that freezes at `when`, reports where the trash went, and is killed with `sig`. */
async function killedRun(t: string, when: 'after-rename' | 'mid-delete', sig: NodeJS.Signals): Promise<string> {
  const planMod = new URL('../../agents/cleaner/plan.js', import.meta.url).pathname;
  const applyMod = new URL('../../agents/cleaner/apply.js', import.meta.url).pathname;
  const code = `
    const { planClean } = await import(${JSON.stringify(planMod)});
    const { applyClean } = await import(${JSON.stringify(applyMod)});
    const policy = ${JSON.stringify(policy)};
    const freeze = () => { process.stdout.write('frozen\\n'); const end = Date.now() + 30000; while (Date.now() < end); };
    let frozen = false;
    const plan = await planClean([{ path: ${JSON.stringify(t)}, kind: 'tree' }], policy, ['/root']);
    await applyClean(plan, { journalDir: ${JSON.stringify(journalDir)}, policy, homes: ['/root'],
      log: { info: (o, m) => { if (m === 'moved aside') { process.stdout.write('trash ' + o.trash + '\\n'); if (${JSON.stringify(when)} === 'after-rename') freeze(); } }, warn: () => {} },
      onProgress: (p) => { if (${JSON.stringify(when)} === 'mid-delete' && p.files > 0 && !frozen) { frozen = true; freeze(); } } });
    process.stdout.write('finished\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('frozen')) resolve();
    });
    child.once('exit', () => reject(new Error(`child ended before freezing: ${out}`)));
  });
  child.kill(sig);
  await new Promise((r) => child.once('exit', r));
  const trash = /trash (.+)\n/.exec(out)?.[1];
  assert.ok(trash, out);
  return trash;
}

for (const [when, sig] of [
  ['after-rename', 'SIGKILL'],
  ['mid-delete', 'SIGKILL'],
  ['mid-delete', 'SIGTERM'],
] as const) {
  test(`${sig} ${when}: the next run finds the trash in the journal and finishes the delete`, async () => {
    const t = `${scratch}/builds/chroot-${when}-${sig}`;
    const files = makeTree(t, 30, 100);
    const trash = await killedRun(t, when, sig);
    assert.equal(existsSync(t), false, 'the tree was moved aside as a whole');
    assert.ok(lstatSync(trash).isDirectory(), 'its trash is there');
    const left = await countEntries(trash);
    if (when === 'after-rename') assert.equal(left, files + 30 + 7 + 1, 'nothing deleted yet');
    else assert.ok(left < files + 38, 'partly deleted');
    const un = await listUnfinished(journalDir);
    assert.deepEqual(
      un.map((u) => [u.target, u.pending.map((p) => p.step)]),
      [[t, [`trash:${trash}`]]],
    );

    // The next run: the target is gone, its plan says so, and the run finishes the trash.
    const plan = await planClean([{ path: t, kind: 'tree' }], policy, homes);
    assert.equal(plan.targets[0]?.action?.type, 'none');
    const r = await applyClean(plan, { journalDir, policy, homes });
    assert.equal(r.status, 'done', JSON.stringify(r));
    assert.deepEqual(r.targets[0]?.resumed?.trash, [trash]);
    assert.equal(existsSync(trash), false);
    assert.deepEqual(trashIn(`${scratch}/builds`), []);
    assert.deepEqual(await listUnfinished(journalDir), []);
  });
}

test('resumeUnfinished (agent start) finishes a killed run without a new request', async () => {
  const t = `${scratch}/builds/chroot-resume`;
  makeTree(t, 5, 20);
  const trash = await killedRun(t, 'after-rename', 'SIGKILL');
  const done = await resumeUnfinished({ journalDir, policy, homes });
  assert.deepEqual(
    done.map((d) => [d.target, d.status]),
    [[t, 'done']],
  );
  assert.equal(existsSync(trash), false);
  assert.deepEqual(await listUnfinished(journalDir), []);
});

test('forged plans are judged again: another input, a refused path, a swapped folder', async () => {
  const keep = `${scratch}/builds/keep`;
  const canaries = writeCanaries(keep);
  const other = `${scratch}/builds/other`;
  makeTree(other, 1, 3);
  const good = await planClean([{ path: other, kind: 'tree' }], policy, homes);
  const forge = (path: string, target = good.targets[0]?.target ?? null): CleanPlan => ({
    createdAt: good.createdAt,
    targets: [{ ...(good.targets[0] as CleanPlan['targets'][0]), input: { path, kind: 'tree' }, target }],
  });
  const cases: [CleanPlan, string][] = [
    [forge(keep), 'changed'],
    [forge('/'), 'root'],
    [forge('/home'), 'top-level'],
    [forge(`${scratch}/builds/../builds`), 'outside-safe-prefixes'],
    [forge(`${scratch}/host`), 'outside-safe-prefixes'],
    [forge(''), 'empty'],
  ];
  for (const [plan, code] of cases) {
    const r = await applyClean(plan, { journalDir, policy, homes });
    assert.equal(r.status, 'refused');
    assert.equal(r.targets[0]?.code, code, JSON.stringify(r.targets[0]));
  }
  assert.deepEqual(brokenCanaries(canaries), []);
  assert.equal(existsSync(`${other}/g0/d0/f0`), true);
});
