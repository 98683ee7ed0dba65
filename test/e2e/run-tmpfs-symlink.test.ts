// `run --tmpfs-workdir` on a chroot path with a symlink on it (the chroot's parent, a deeper
// ancestor, or the chroot itself): refused with exit 2 before anything is created, so no directory
// is made where the symlink points and nothing is mounted. The symlink points inside the safe
// prefixes (/tmp), so the path policy lets the path by and the symlink check is what refuses.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { assertHostUnchanged, hostSnapshot } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { mountsUnder } from '../helpers/run-watch.js';

describe('run --tmpfs-workdir with a symlink on the chroot path', { skip: needsRoot() }, () => {
  const home = scratchHome('tmpfs-symlink');
  const work = mkdtempSync('/tmp/isoswarm-test-tmpfs-symlink-work-');
  const outside = mkdtempSync('/tmp/isoswarm-test-tmpfs-symlink-outside-');
  const env = testEnv(home);
  before(() => {
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  after(() => {
    teardownHome(home);
    removeScratch(work);
    removeScratch(outside);
  });

  test('refused, exit 2: nothing created at the symlink target, nothing mounted', () => {
    const snap = hostSnapshot();
    writeFileSync(`${work}/build.sh`, '#!/bin/sh\nmkdir -p "$1/made-by-build"\n', { mode: 0o755 });
    mkdirSync(`${work}/real`);
    symlinkSync(outside, `${work}/linked`);
    symlinkSync(outside, `${work}/real/linked`);
    for (const chroot of [`${work}/linked/deep/chroot`, `${work}/real/linked/chroot`, `${work}/linked`]) {
      const r = cliSync(
        env,
        [
          'run',
          '--no-tune',
          '--tmpfs-workdir',
          '--tmpfs-size',
          '16M',
          '--name',
          'linked-tmpfs',
          '--chroot',
          chroot,
          '--',
          `${work}/build.sh`,
          chroot,
        ],
        undefined,
        120_000,
      );
      assert.equal(r.code, 2, `${chroot}: ${r.stderr}`);
      assert.match(r.stderr, /is a symlink; isoswarm creates and mounts only on paths without one/, chroot);
      assert.match(r.stderr, /nothing was created or mounted/, chroot);
      assert.deepEqual(readdirSync(outside), [], `something was created at the symlink's target for ${chroot}`);
      assert.deepEqual(mountsUnder(outside), [], `mounted under ${outside}`);
      assert.deepEqual(mountsUnder(work), [], `mounted under ${work}`);
    }
    assertHostUnchanged(snap);
  });
});
