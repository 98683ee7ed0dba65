// unbindCache must unmount exactly the cache bind it made: when the build covers an ancestor of it
// with a mount holding a symlink to a host mount, a plain `umount <target>` would follow the link
// and unmount the host's mount instead. It refuses, and the host mount stays.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { after, test } from 'node:test';
import { bindCache, unbindCache } from '../../src/host/mounts/cache-bind.js';
import { needsRoot } from '../helpers/root.js';

const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-unbind-'));
const mounted = (): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(scratch));
after(() => {
  if (mounted().length > 0) throw new Error(`a mount under ${scratch} was left behind`);
  rmSync(scratch, { recursive: true, force: true });
});

const umount = (p: string): number | null => spawnSync('umount', ['--no-canonicalize', '--', p]).status;

test(
  'a mount over an ancestor with a symlink to a host mount: unbind refuses, the host mount stays',
  { skip: needsRoot() },
  async () => {
    const cache = `${scratch}/cache`;
    const chroot = `${scratch}/chroot`;
    const victim = `${scratch}/host/apt/archives`;
    mkdirSync(cache);
    mkdirSync(chroot);
    mkdirSync(victim, { recursive: true });
    const made: string[] = [];
    try {
      // Stands in for a host mount (say, the host's own apt archive on another disk).
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isoswarm-test-victim', victim]).status, 0);
      made.push(victim);
      writeFileSync(`${victim}/canary`, 'host');
      const h = await bindCache(cache, chroot);
      made.push(h.target);
      // The build covers chroot/var/cache and leaves apt -> the host's folder in it.
      assert.equal(
        spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isoswarm-test-cover', `${chroot}/var/cache`]).status,
        0,
      );
      made.push(`${chroot}/var/cache`);
      symlinkSync(`${scratch}/host/apt`, `${chroot}/var/cache/apt`);

      const r = await unbindCache(h);
      assert.equal(r.unmounted, false, r.reason);
      assert.match(r.reason, /covered|symlink/);
      assert.ok(
        mounted().some((l) => l.includes(' isoswarm-test-victim ')),
        'the host mount is still there',
      );
      assert.equal(readFileSync(`${victim}/canary`, 'utf8'), 'host');

      assert.equal(umount(`${chroot}/var/cache`), 0);
      made.pop();
      const again = await unbindCache(h);
      assert.equal(again.unmounted, true, again.reason);
      made.pop();
      assert.ok(existsSync(`${victim}/canary`));
    } finally {
      for (const p of made.reverse()) umount(p);
    }
  },
);
