import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { detachLoop } from '../../src/host/mounts/loop-devices.js';
import { terminateRooted } from '../../src/host/proc/terminate.js';
import { unmountAllUnder } from '../../src/host/mounts/unmount.js';
import {
  assertTeardownTarget,
  checkPolicy,
  defaultDeny,
  type PathPolicy,
  readHomeDirs,
  resolveAndCheck,
  resolveTarget,
} from '../../src/host/guard/path-policy.js';

const policy: PathPolicy = { safePrefixes: ['/srv/build', '/var/tmp/isoswarm'], deny: defaultDeny() };
const homes = ['/home/alice', '/var/lib/postgresql', '/root'];

function code(p: string, pol: PathPolicy = policy): string {
  const v = checkPolicy(p, pol, homes);
  return v.ok ? 'ok' : v.code;
}

test('checkPolicy refuses the dangerous shapes with the right code', () => {
  assert.equal(code(''), 'empty');
  assert.equal(code('   '), 'empty');
  assert.equal(code('srv/build/x'), 'not-absolute');
  assert.equal(code('/srv/build//x'), 'not-absolute', 'non-canonical: `//`');
  assert.equal(code('/srv/build/x/'), 'not-absolute', 'non-canonical: trailing slash');
  assert.equal(code('/srv/build/x/..'), 'not-absolute', 'non-canonical: ..');
  assert.equal(code('/srv/build/./x'), 'not-absolute', 'non-canonical: .');
  assert.equal(code('/'), 'root');
  assert.equal(code('/srv'), 'top-level');
  assert.equal(code('/anything'), 'top-level');
  assert.equal(code('/var/tmp'), 'denied');
  assert.equal(code('/var/lib'), 'denied');
  assert.equal(code('/run/user'), 'denied');
  assert.equal(code('/dev/shm'), 'denied');
  assert.equal(code('/srv/build'), 'outside-safe-prefixes', 'the safe prefix itself is refused');
  assert.equal(code('/srv/build2/x'), 'outside-safe-prefixes', 'string-prefix look-alike');
  assert.equal(code('/srv/buil'), 'outside-safe-prefixes');
  assert.equal(code('/var/tmp/isoswarm/chroot'), 'ok');
  assert.equal(code('/srv/build/a/b/c'), 'ok');
});

test('checkPolicy refuses homes and every ancestor of a home or deny entry', () => {
  const pol: PathPolicy = { safePrefixes: ['/data', '/home/alice/builds'], deny: ['/data/keep/this'] };
  const h = ['/data/users/bob', '/home/alice'];
  const c = (p: string): string => {
    const v = checkPolicy(p, pol, h);
    return v.ok ? 'ok' : v.code;
  };
  assert.equal(c('/data/users/bob'), 'home');
  assert.equal(c('/data/users'), 'home');
  assert.equal(c('/data/keep'), 'denied');
  assert.equal(c('/data/keep/this'), 'denied');
  assert.equal(c('/data/keep/this/sub'), 'ok', 'below a deny entry is judged by the safe prefixes');
  assert.equal(c('/home/alice/builds/chroot'), 'ok');
  assert.equal(c('/data/users/bobby'), 'ok', 'component comparison: bobby is not bob');
});

test('a safe prefix of / or a non-canonical one approves nothing', () => {
  const pol: PathPolicy = { safePrefixes: ['/', '/srv/../srv/build', '/srv//b'], deny: [] };
  assert.equal(checkPolicy('/srv/build/x', pol).ok, false);
  assert.equal(checkPolicy('/srv/b/x', pol).ok, false);
  assert.equal(checkPolicy('/opt/x/y', pol).ok, false);
});

// Independent oracle for a canonical approved path: plain string checks that only hold for canonical paths.
function approvedIsSane(p: string, pol: PathPolicy, h: readonly string[]): void {
  assert.equal(posix.normalize(p), p);
  assert.ok(p.length > 1 && !p.endsWith('/'));
  assert.ok(
    pol.safePrefixes.some((s) => p.startsWith(s + '/') && p.length > s.length + 1),
    `${p} strictly below a safe prefix`,
  );
  for (const d of [...pol.deny, ...h])
    assert.ok(!(d === p || d.startsWith(p + '/')), `${p} is not ${d} nor contains it`);
}

test('property: no generated string outside the safe prefixes is ever approved', () => {
  const parts = fc.constantFrom(
    'srv',
    'build',
    'build2',
    'var',
    'tmp',
    'isoswarm',
    'lib',
    '..',
    '.',
    '',
    'ä',
    '\u2215',
    'x'.repeat(300),
    'home',
    'alice',
  );
  const generated = fc.oneof(
    fc.array(parts, { maxLength: 8 }).map((a) => '/' + a.join('/')),
    fc.array(parts, { maxLength: 8 }).map((a) => a.join('/')),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/srv/build/' + s),
  );
  fc.assert(
    fc.property(generated, (p) => {
      const v = checkPolicy(p, policy, homes);
      if (v.ok) approvedIsSane(v.path, policy, homes);
    }),
    { numRuns: 5000 },
  );
});

let scratch = '';
let safe = '';
before(() => {
  scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-policy-'));
  safe = `${scratch}/safe`;
  mkdirSync(`${safe}/sub/deeper`, { recursive: true });
  mkdirSync(`${safe}/ünï`);
  mkdirSync(`${safe}/${'l'.repeat(255)}`);
  mkdirSync(`${scratch}/outside`);
  writeFileSync(`${safe}/file`, 'x');
  symlinkSync('/', `${safe}/link-root`);
  symlinkSync('/etc', `${safe}/link-etc`);
  symlinkSync('..', `${safe}/link-up`);
  symlinkSync(`${scratch}/outside`, `${safe}/link-out`);
  symlinkSync('sub', `${safe}/link-sub`);
  symlinkSync('link-loop', `${safe}/link-loop`);
});
after(() => {
  // Only plain files, folders and symlinks here (rm does not follow symlinks).
  if (scratch.startsWith('/tmp/isoswarm-test-policy-')) rmSync(scratch, { recursive: true, force: true });
});

test('resolveTarget refuses empty, blank, relative and padded input before touching the disk', async () => {
  assert.equal((await resolveTarget('')).ok, false);
  const blank = await resolveTarget('  \t');
  assert.ok(!blank.ok && blank.code === 'empty');
  const rel = await resolveTarget('safe/sub');
  assert.ok(!rel.ok && rel.code === 'not-absolute');
  const padded = await resolveTarget(` ${safe}/sub`);
  assert.ok(!padded.ok && padded.code === 'not-absolute');
  const missing = await resolveTarget(`${safe}/nope`);
  assert.ok(!missing.ok && missing.code === 'not-found');
  const file = await resolveTarget(`${safe}/file`);
  assert.ok(!file.ok && file.code === 'not-found');
});

test('targets are judged by where they really point', async () => {
  const pol: PathPolicy = { safePrefixes: [safe], deny: defaultDeny() };
  const judge = async (p: string): Promise<string> => {
    const r = await resolveAndCheck(p, pol, homes);
    return r.ok ? r.path : r.code;
  };
  assert.equal(await judge(`${safe}/link-root`), 'root');
  assert.equal(await judge(`${safe}/link-etc`), 'top-level');
  assert.equal(await judge(`${safe}/sub/..`), 'outside-safe-prefixes', 'dir/.. is the safe prefix itself');
  assert.equal(await judge(`${safe}/link-up/safe/sub`), `${safe}/sub`);
  assert.equal(await judge(`${safe}/link-out`), 'outside-safe-prefixes');
  assert.equal(await judge(`${safe}/link-sub/deeper`), `${safe}/sub/deeper`);
  assert.equal(await judge(`${safe}/link-loop`), 'not-found');
  assert.equal(await judge(`${safe}//sub/`), `${safe}/sub`);
});

test('property: no generated path through symlinks, .., //, unicode or long names resolves outside the safe prefix', async () => {
  const pol: PathPolicy = { safePrefixes: [safe], deny: defaultDeny() };
  const long = 'l'.repeat(255);
  const parts = fc.constantFrom(
    'safe',
    'sub',
    'deeper',
    'ünï',
    long,
    'outside',
    'link-root',
    'link-etc',
    'link-up',
    'link-out',
    'link-sub',
    'link-loop',
    'file',
    '..',
    '.',
    '',
  );
  let approved = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(parts, { maxLength: 24 }), async (a) => {
      const r = await resolveAndCheck(`${scratch}/${a.join('/')}`, pol, homes);
      if (!r.ok) return;
      approved++;
      assert.equal(realpathSync(r.path), r.path);
      approvedIsSane(r.path, pol, homes);
    }),
    { numRuns: 3000 },
  );
  assert.ok(approved > 0, 'the property saw approved paths too');
});

test('very long paths are refused, never approved', async () => {
  const pol: PathPolicy = { safePrefixes: [safe], deny: defaultDeny() };
  const r = await resolveAndCheck(`${safe}/${Array(20).fill('l'.repeat(255)).join('/')}`, pol, homes);
  assert.equal(r.ok, false);
});

test('readHomeDirs lists the home of root', async () => {
  const h = await readHomeDirs();
  assert.ok(h.includes('/root'));
});

test('last line of defence: acting functions refuse `/`, top-level and non-canonical targets themselves', async () => {
  for (const bad of ['/', '/tmp', '', 'tmp/x', '/tmp/x/..', '/tmp//x']) {
    assert.throws(() => assertTeardownTarget(bad), /refusing/, JSON.stringify(bad));
    await assert.rejects(unmountAllUnder(bad), /refusing/);
    await assert.rejects(terminateRooted([], { target: bad }), /refusing/);
    await assert.rejects(detachLoop('/dev/loop0', bad), /refusing/);
  }
  assert.doesNotThrow(() => assertTeardownTarget('/tmp/x'));
});
