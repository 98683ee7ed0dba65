// The debootstrap command line as the root cache reads it: both option forms, the set options are
// order-insensitive, and calls that make no finished root (or that it cannot read) are not cached.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDebootstrapArgs } from '../../agents/performance-tuner/debootstrap-args.js';

test('--opt=value and --opt value; include/exclude sorted and merged; positionals', () => {
  const a = parseDebootstrapArgs([
    '--variant=minbase',
    '--arch',
    'amd64',
    '--include=vim,less',
    '--include',
    'curl',
    '--exclude=nano',
    '--components=main,contrib',
    '--no-merged-usr',
    '--verbose',
    '--cache-dir=/var/cache/x',
    'bookworm',
    '/srv/chroot',
    'http://deb.debian.org/debian',
  ]);
  assert.ok(a.ok);
  assert.deepEqual(a.call.include, ['curl', 'less', 'vim']);
  assert.deepEqual(a.call.exclude, ['nano']);
  assert.deepEqual(a.call.components, ['main', 'contrib']);
  assert.equal(a.call.variant, 'minbase');
  assert.equal(a.call.arch, 'amd64');
  assert.equal(a.call.mergedUsr, 'no');
  assert.deepEqual(
    [a.call.suite, a.call.target, a.call.mirror, a.call.script],
    ['bookworm', '/srv/chroot', 'http://deb.debian.org/debian', null],
  );
  const b = parseDebootstrapArgs([
    '--include=less,vim,curl',
    '--variant',
    'minbase',
    '--arch=amd64',
    '--exclude',
    'nano',
    '--components',
    'main,contrib',
    '--no-merged-usr',
    'bookworm',
    '/srv/chroot',
    'http://deb.debian.org/debian',
  ]);
  assert.ok(b.ok);
  assert.deepEqual(b.call, a.call, 'the same spec however it was spelled');
});

test('not cached: no finished root, unknown options, bad positionals', () => {
  for (const [args, why] of [
    [['--foreign', 'bookworm', '/t'], /does not make a finished root/],
    [['--download-only', 'bookworm', '/t'], /does not make a finished root/],
    [['--make-tarball=/x.tgz', 'bookworm', '/t'], /does not make a finished root/],
    [['--unpack-tarball', '/x.tgz', 'bookworm', '/t'], /does not make a finished root/],
    [['--second-stage'], /does not make a finished root/],
    [['--frobnicate', 'bookworm', '/t'], /unknown option --frobnicate/],
    [['-x', 'bookworm', '/t'], /unknown option -x/],
    [['bookworm'], /SUITE TARGET/],
    [['--arch'], /needs a value/],
    [['../evil', '/t'], /not a plain name/],
  ] as const) {
    const r = parseDebootstrapArgs(args);
    assert.equal(r.ok, false, args.join(' '));
    assert.match((r as { reason: string }).reason, why);
  }
});
