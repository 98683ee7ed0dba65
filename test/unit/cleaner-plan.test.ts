import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { formatCleanPlan, planClean } from '../../agents/cleaner/plan.js';
import { planEviction, planTempCleanup, removePlannedFiles } from '../../src/host/cache/cache-evict.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { findStaleLocks, refuseLockRoot, removeStaleLock } from '../../src/host/walk/stale-locks.js';
import { countEntries, makeScratch, makeTree, removeScratch } from '../helpers/cleaner-fixture.js';

const scratch = makeScratch('plan');
const policy: PathPolicy = { safePrefixes: [scratch], deny: defaultDeny() };
const homes = ['/root'];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(
    children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  );
  await removeScratch(scratch);
});

const ago = (sec: number): Date => new Date(Date.now() - sec * 1000);

test('a tree plan carries its size; the dry-run text names it', async () => {
  makeTree(`${scratch}/tree`, 4, 5, 10);
  const plan = await planClean([{ path: `${scratch}/tree`, kind: 'tree' }], policy, homes);
  const t = plan.targets[0];
  assert.equal(t?.refused, null);
  assert.deepEqual(t?.mounts, []);
  assert.equal(t?.action?.type, 'delete-tree');
  if (t?.action?.type === 'delete-tree') assert.deepEqual([t.action.size.files, t.action.size.bytes], [20, 200]);
  const text = formatCleanPlan(plan);
  assert.match(text, /delete the tree: 20 files, \d+ folders, 200 B/);
  assert.ok(existsSync(`${scratch}/tree/g0/d0/f0`), 'planning changes nothing');
});

test('cache eviction goes least recently used first (atime, else mtime) until under the limit', async () => {
  const c = `${scratch}/cache`;
  mkdirSync(c);
  for (const [name, age] of [
    ['old', 300],
    ['mid', 200],
    ['new', 100],
  ] as const) {
    writeFileSync(`${c}/${name}`, Buffer.alloc(1000));
    utimesSync(`${c}/${name}`, ago(age), ago(age));
  }
  // Read recently (atime) though written long ago: counts as recently used.
  writeFileSync(`${c}/read`, Buffer.alloc(1000));
  utimesSync(`${c}/read`, ago(10), ago(400));
  const p = await planEviction(c, 2500);
  assert.equal(p.totalBytes, 4000);
  assert.deepEqual(
    p.evict.map((f) => f.path.split('/').pop()),
    ['old', 'mid'],
  );
  assert.equal(p.afterBytes, 2000);
  const r = await removePlannedFiles(c, p.evict, { unchangedUse: true });
  assert.equal(r.removed, 2);
  assert.deepEqual([existsSync(`${c}/old`), existsSync(`${c}/new`), existsSync(`${c}/read`)], [false, true, true]);

  const plan = await planClean([{ path: c, kind: 'cache', limitBytes: 1500 }], policy, homes);
  assert.match(formatCleanPlan(plan), /evict 1 least recently used files/);
});

test('temp planning takes files older than N seconds, not sockets, and removal re-checks age', async () => {
  const d = `${scratch}/tmpdir`;
  mkdirSync(`${d}/sub`, { recursive: true });
  writeFileSync(`${d}/stale`, 'x');
  writeFileSync(`${d}/sub/stale2`, 'xx');
  writeFileSync(`${d}/fresh`, 'x');
  utimesSync(`${d}/stale`, ago(7200), ago(7200));
  utimesSync(`${d}/sub/stale2`, ago(7200), ago(7200));
  const p = await planTempCleanup(d, 3600);
  assert.deepEqual(p.files.map((f) => f.path.replace(`${d}/`, '')).sort(), ['stale', 'sub/stale2']);
  writeFileSync(`${d}/sub/stale2`, 'touched since'); // modified after planning: kept
  const r = await removePlannedFiles(d, p.files, { notModifiedSinceMs: Date.now() - 3600_000 });
  assert.equal(r.removed, 1);
  assert.deepEqual(
    r.skipped.map((s) => s.reason),
    ['modified since planned'],
  );
  assert.equal(existsSync(`${d}/sub/stale2`), true);
  assert.equal(existsSync(`${d}/stale`), false);
});

test('stale locks: dead or no holder is stale; a flock holder, an open file or a live PID is not', async () => {
  const root = `${scratch}/chroot`;
  mkdirSync(`${root}/var/lib/dpkg`, { recursive: true });
  mkdirSync(`${root}/run`, { recursive: true });
  writeFileSync(`${root}/var/lib/dpkg/lock`, '');
  writeFileSync(`${root}/var/lib/dpkg/lock-frontend`, '');
  writeFileSync(`${root}/run/build.pid`, `${process.pid}\n`);
  writeFileSync(`${root}/run/dead.pid`, '999999999\n');
  writeFileSync(`${root}/run/open.lock`, '');
  const holder = spawn('flock', [`${root}/var/lib/dpkg/lock-frontend`, 'sleep', '60'], { stdio: 'ignore' });
  children.push(holder);
  const fd = openSync(`${root}/run/open.lock`, 'r');
  const opener = spawn('sleep', ['60'], { stdio: [fd, 'ignore', 'ignore'] });
  children.push(opener);
  closeSync(fd);
  // Wait until flock holds its lock.
  for (let i = 0; i < 100; i++) {
    const scan = await findStaleLocks(root);
    if (scan.locks.find((l) => l.path.endsWith('lock-frontend'))?.heldBy.length) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const scan = await findStaleLocks(root);
  assert.equal(scan.certain, true);
  const by = Object.fromEntries(scan.locks.map((l) => [l.path.replace(`${root}/`, ''), l]));
  assert.equal(by['var/lib/dpkg/lock']?.stale, true);
  assert.equal(by['var/lib/dpkg/lock-frontend']?.stale, false);
  assert.match(by['var/lib/dpkg/lock-frontend']?.reason ?? '', /locked by pid/);
  assert.equal(by['run/build.pid']?.stale, false);
  assert.match(by['run/build.pid']?.reason ?? '', /alive/);
  assert.equal(by['run/dead.pid']?.stale, true);
  assert.equal(by['run/open.lock']?.stale, false);
  assert.deepEqual(by['run/open.lock']?.openBy, [opener.pid]);

  const r = await removeStaleLock(root, by['var/lib/dpkg/lock'] as { path: string; fileId: string });
  assert.equal(r.removed, true);
  const held = await removeStaleLock(root, by['var/lib/dpkg/lock-frontend'] as { path: string; fileId: string });
  assert.equal(held.removed, false);
  assert.equal(existsSync(`${root}/var/lib/dpkg/lock-frontend`), true);
});

test("the host's dpkg/apt lock folders are never searched", async () => {
  for (const root of ['/', '/var', '/var/lib', '/var/lib/dpkg', '/var/lib/apt/lists', '/var/cache/apt', '/var/cache']) {
    assert.ok(refuseLockRoot(root), root);
    const scan = await findStaleLocks(root);
    assert.ok(scan.refused, root);
    assert.deepEqual(scan.locks, []);
  }
  assert.equal(refuseLockRoot(`${scratch}/chroot`), null);
  const r = await removeStaleLock(`${scratch}/chroot`, { path: '/var/lib/dpkg/lock', fileId: '0:0' });
  assert.equal(r.removed, false);
});

test('raw policy: /, /home, outside the prefixes, relative, x/.., empty, a symlink to / are refused', async () => {
  const canary = `${scratch}/keep/canary`;
  mkdirSync(`${scratch}/keep`, { recursive: true });
  writeFileSync(canary, 'c');
  symlinkSync('/', `${scratch}/to-root`);
  const inputs = [
    '/',
    '/home',
    '/tmp',
    '/usr/share',
    'tree/..',
    `${scratch}/keep/..`,
    `${scratch}/tree/../..`,
    '',
    `${scratch}/to-root`,
    scratch,
  ];
  const plan = await planClean(
    inputs.map((path) => ({ path, kind: 'tree' as const })),
    policy,
    homes,
  );
  for (const [i, t] of plan.targets.entries())
    assert.ok(t.refused, `refused ${JSON.stringify(inputs[i])}: ${JSON.stringify(t)}`);
  assert.deepEqual(
    plan.targets.map((t) => t.refused?.code),
    [
      'root',
      'top-level',
      'top-level',
      'outside-safe-prefixes',
      'not-absolute',
      'outside-safe-prefixes',
      'top-level',
      'empty',
      'root',
      'outside-safe-prefixes',
    ],
  );
  assert.match(formatCleanPlan(plan), /REFUSED \[root\]/);
  assert.equal(existsSync(canary), true);
  assert.ok((await countEntries(scratch)) > 3);
});

test('invalid inputs are refused before anything is read', async () => {
  const plan = await planClean(
    [
      { path: `${scratch}/cache`, kind: 'cache' },
      { path: `${scratch}/tmpdir`, kind: 'temp', maxAgeSec: -1 },
      { path: `${scratch}/x`, kind: 'bogus' as 'tree' },
      { path: `${scratch}/gone`, kind: 'tree' },
    ],
    policy,
    homes,
  );
  assert.deepEqual(
    plan.targets.map((t) => t.refused?.code ?? t.action?.type),
    ['invalid', 'invalid', 'invalid', 'none'],
  );
});
