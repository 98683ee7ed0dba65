// An apt cache session whose overlay someone else took away, or copied elsewhere: it is ended only
// when its overlay is mounted nowhere (never unmounted by that), its hold stays while any copy is
// mounted, and what is left in the overlay root while a layer in it is mounted is not swept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import { detachAptCache } from '../../agents/performance-tuner/caches.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';
import { aptAttach, aptScratch, aptSetup, archives, quietLog } from '../helpers/apt-sessions.js';

const scratch = aptScratch('apt-takeaway');
const setup = (name: string) => aptSetup(scratch, name);
const attach = aptAttach;

test('a refused detach, then a teardown: the next request ends the session', { skip: needsRoot() }, async () => {
  const { apt, cache, dir } = await setup('reap');
  const a = await attach(apt, cache, join(dir, 'a'));
  const busy = openSync(join(archives(a.chroot), 'old_1.0_amd64.deb'), 'r');
  const d = await apt.detach(apt.key(a.chroot), a);
  closeSync(busy);
  assert.equal(d.sessionEnded, false, d.unbind.reason);
  assert.equal(spawnSync('umount', [a.handle!.target]).status, 0, 'the teardown takes the overlay');
  const b = await attach(apt, cache, join(dir, 'b'));
  try {
    assert.equal(apt.get(a.chroot), undefined, 'the session of the overlay taken away is ended');
    assert.equal(existsSync(a.dirs.privateDir), false);
  } finally {
    await apt.detach(apt.key(b.chroot), b);
  }
  assert.equal(apt.busy(), null);
});

test(
  'our overlay seen only at another path is still ours: not gone, the session stays',
  { skip: needsRoot() },
  async () => {
    const { apt, cache, dir } = await setup('copy');
    const s = await attach(apt, cache, join(dir, 'orig'));
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    assert.equal(spawnSync('mount', ['--bind', s.handle!.target, copy]).status, 0);
    assert.equal(spawnSync('umount', [s.handle!.target]).status, 0);
    try {
      const d = await apt.detach(apt.key(s.chroot), s);
      assert.equal(d.unbind.gone, undefined, d.unbind.reason);
      assert.match(d.unbind.reason, /our overlay is mounted at .*\/copy/);
      assert.equal(d.sessionEnded, false);
      assert.ok(existsSync(s.dirs.upper), 'its upper layer is kept');
      assert.match(apt.busy() ?? '', /mounted into/);
    } finally {
      spawnSync('umount', [copy]);
    }
    const again = await apt.detach(apt.key(s.chroot), s);
    assert.equal(again.unbind.gone, true, again.unbind.reason);
    assert.equal(apt.busy(), null);
  },
);

test(
  'a dir left in the overlay root whose layer is mounted elsewhere is not swept',
  { skip: needsRoot() },
  async () => {
    const { apt, cache, dir } = await setup('inuse');
    const priv = join(apt.overlayRoot, 'foreign');
    for (const d of ['upper', 'work']) mkdirSync(join(priv, d), { recursive: true });
    const at = join(dir, 'elsewhere');
    mkdirSync(at);
    const opts = `lowerdir=${cache},upperdir=${priv}/upper,workdir=${priv}/work`;
    assert.equal(spawnSync('mount', ['-t', 'overlay', 'isoswarm-test', '-o', opts, at]).status, 0);
    try {
      const next = new AptSessions(join(dir, 'state'), quietLog(), 1 << 30);
      await next.swept;
      assert.ok(existsSync(join(priv, 'upper')), 'the mounted overlay keeps its upper layer');
    } finally {
      assert.equal(spawnSync('umount', [at]).status, 0);
    }
  },
);

test('a session ended only if its overlay is gone is never unmounted', { skip: needsRoot() }, async () => {
  const { apt, cache, dir } = await setup('onlyifgone');
  const s = await attach(apt, cache, join(dir, 'c'));
  try {
    const d = await detachAptCache(s, { last: true, pendingDir: join(dir, 'p'), onlyIfGone: true });
    assert.equal(d.sessionEnded, false, d.unbind.reason);
    assert.ok(
      (await readMountinfo()).some((m) => m.mountPoint === s.handle!.target),
      'still mounted',
    );
  } finally {
    await apt.detach(apt.key(s.chroot), s);
  }
});

test(
  'a copy of our overlay left at another path: the cache stays held until it goes',
  { skip: needsRoot() },
  async () => {
    const { apt, cache, debs, dir } = await setup('leftcopy');
    const s = await attach(apt, cache, join(dir, 'c'));
    writeFileSync(join(archives(s.chroot), 'dl_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'dl', '1.0', 10_000)));
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    assert.equal(spawnSync('mount', ['--bind', s.handle!.target, copy]).status, 0);
    try {
      const d = await apt.detach(apt.key(s.chroot), s);
      assert.match(d.unbind.reason, /still mounted at .*\/copy/);
      assert.equal(d.sessionEnded, false);
      assert.equal(existsSync(join(cache, 'dl_1.0_amd64.deb')), false, 'nothing harvested into a lower layer in use');
      assert.match(apt.busy() ?? '', /mounted into/);
    } finally {
      spawnSync('umount', [copy]);
    }
    const again = await apt.detach(apt.key(s.chroot), s);
    assert.equal(again.sessionEnded, true, again.unbind.reason);
    assert.ok(existsSync(join(cache, 'dl_1.0_amd64.deb')), 'harvested once no overlay has the cache');
    assert.equal(apt.busy(), null);
  },
);
