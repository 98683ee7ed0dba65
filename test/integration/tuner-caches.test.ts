// Over 250 lines on purpose: each cache's cases share one swarm and real mounts built once.
// The build caches on real directories and real mounts: the apt archive cache enters a chroot as an
// overlay and is taken away again (only our mount), `apt-get clean` inside cannot touch the host's
// files, new complete .debs are harvested, hits are counted from real reads through the overlay, LRU eviction keeps what the build used, and the debootstrap tarball
// cache hits, misses and evicts by its limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { needsRoot } from '../helpers/root.js';
import { bindCache, unbindCache } from '../../src/host/mounts/cache-bind.js';
import { evictLru, listCache } from '../../src/host/cache/cache-dir.js';
import { validateRecord } from '../../src/schemas/memory-records.js';
import {
  APT_CACHE,
  DEBOOTSTRAP_CACHE,
  attachAptCache,
  cachingKey,
  detachAptCache,
  mergeEffectiveness,
  resumeAptCache,
  suspendAptCache,
} from '../../agents/performance-tuner/caches.js';
import { makeDeb } from '../helpers/debs.js';
import { TarballCache } from '../../agents/performance-tuner/tarball-cache.js';

const scratch = mkdtempSync('/tmp/isoswarm-test-caches-');
after(() => {
  // Never remove across a mount: if a test left one behind, fail loudly instead.
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  if (mi.includes(scratch)) throw new Error(`a mount under ${scratch} was left behind`);
  rmSync(scratch, { recursive: true, force: true });
});

const mountinfo = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(scratch))
    .join('\n');

/** Name -> sha256 of every file in a dir. */
function digest(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((n) => lstatSync(join(dir, n)).isFile())
      .sort()
      .map((n) => [
        n,
        createHash('sha256')
          .update(readFileSync(join(dir, n)))
          .digest('hex'),
      ]),
  );
}

/** Name -> inode, size, mtime: what a delete or rewrite would change, without reading. */
function statList(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => {
        const st = lstatSync(join(dir, n));
        return [n, `${st.ino}:${st.size}:${st.mtimeMs}`];
      }),
  );
}

function file(dir: string, name: string, bytes: number, ageSec: number): void {
  const p = join(dir, name);
  writeFileSync(p, randomBytes(bytes));
  const t = new Date(Date.now() - ageSec * 1000);
  utimesSync(p, t, t);
}

test('LRU eviction removes the least recently used first and keeps what it is told to', async () => {
  const dir = mkdtempSync(join(scratch, 'lru-'));
  file(dir, 'old.deb', 1000, 300);
  file(dir, 'mid.deb', 1000, 200);
  file(dir, 'new.deb', 1000, 100);
  file(dir, 'kept-old.deb', 1000, 400);
  file(dir, 'notes.txt', 5000, 500);
  const r = await evictLru(dir, 2000, (n) => n.endsWith('.deb'), new Set(['kept-old.deb']));
  assert.deepEqual(
    r.evicted.map((e) => e.name),
    ['old.deb', 'mid.deb'],
  );
  assert.equal(r.sizeBytes, 2000);
  assert.deepEqual(
    listCache(dir)
      .map((f) => f.name)
      .sort(),
    ['kept-old.deb', 'new.deb', 'notes.txt'],
  );
});

test(
  'apt cache: an overlay the build cannot change; new complete .debs harvested; hits counted; only our mount removed',
  { skip: needsRoot() },
  async () => {
    const cache = join(scratch, 'apt-cache');
    const chroot = join(scratch, 'chroot');
    const incoming = mkdtempSync(join(scratch, 'incoming-'));
    mkdirSync(cache);
    mkdirSync(join(chroot, 'var'), { recursive: true });
    for (const n of ['a', 'b', 'c']) makeDeb(cache, n, '1.0', 30_000);
    const hostBefore = digest(cache);
    const before = mountinfo();
    const priv = join(scratch, 'apt-private');
    const s = await attachAptCache(cache, chroot, 10_000_000, priv);
    // After the attach: the host cache as the build finds it (nothing in it may change until the detach).
    const statsBefore = statList(cache);
    let detached = false;
    try {
      const target = join(chroot, 'var/cache/apt/archives');
      assert.equal(s.handle?.target, target);
      assert.match(
        mountinfo(),
        new RegExp(`^${s.handle?.mountId} .* ${target} .* - overlay `, 'm'),
        'an overlay is in the mount table',
      );
      // The build: apt reads two cached packages, downloads one (renamed in from partial/ as apt
      // does), leaves one truncated download, then `apt-get clean` empties the archive dir.
      for (const n of ['a_1.0_amd64.deb', 'c_1.0_amd64.deb'])
        assert.equal(spawnSync('cat', [join(target, n)], { stdio: ['ignore', 'ignore', 'inherit'] }).status, 0);
      // ...and dpkg records them (and the downloaded d) as installed.
      mkdirSync(join(chroot, 'var/lib/dpkg'), { recursive: true });
      writeFileSync(
        join(chroot, 'var/lib/dpkg/status'),
        ['a:1.0', 'c:1.0', 'd:2.0']
          .map((pv) => {
            const [p, v] = pv.split(':');
            return `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${v}\n`;
          })
          .join('\n'),
      );
      const d = makeDeb(incoming, 'd', '2.0', 40_000);
      mkdirSync(join(target, 'partial'), { recursive: true });
      writeFileSync(join(target, 'partial', 'd_2.0_amd64.deb'), readFileSync(d));
      renameSync(join(target, 'partial', 'd_2.0_amd64.deb'), join(target, 'd_2.0_amd64.deb'));
      writeFileSync(
        join(target, 'e_3.0_amd64.deb'),
        readFileSync(makeDeb(incoming, 'e', '3.0', 40_000)).subarray(0, 2000),
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(spawnSync('sh', ['-c', `rm -f "${target}"/*.deb`]).status, 0, 'apt-get clean inside the chroot');
      assert.deepEqual(
        statList(cache),
        statsBefore,
        'the host cache is untouched by the clean (no read: reads would count as hits)',
      );
      // Suspended (as around a mksquashfs of the chroot): no cache file is visible in the chroot.
      assert.equal((await suspendAptCache(s)).unmounted, true);
      assert.equal(mountinfo(), before, 'nothing mounted while suspended');
      assert.deepEqual(
        readdirSync(target).filter((n) => n.endsWith('.deb')),
        [],
      );
      await resumeAptCache(s);
      assert.match(mountinfo(), / - overlay /, 'back after the mksquashfs');
      const r = await detachAptCache(s, { last: true, pendingDir: mkdtempSync(join(scratch, 'pending-')) });
      detached = true;
      assert.equal(r.unbind.unmounted, true, r.unbind.reason);
      assert.equal(mountinfo(), before, 'mount table as before');
      assert.deepEqual(
        r.harvest.harvested.map((h) => h.name),
        ['d_2.0_amd64.deb'],
        'the complete download survived the clean and was harvested',
      );
      assert.deepEqual(
        r.harvest.rejected.map((h) => h.name),
        ['e_3.0_amd64.deb'],
        'the truncated one was not',
      );
      assert.match(r.harvest.rejected[0]?.reason ?? '', /truncated/);
      assert.equal(r.privateDirRemoved, true, r.privateDirError);
      assert.equal(existsSync(priv), false);
      const after = digest(cache);
      for (const [n, h] of Object.entries(hostBefore)) assert.equal(after[n], h, `${n} intact`);
      assert.ok(after['d_2.0_amd64.deb'], 'the host cache gained the new package');
      assert.equal(spawnSync('dpkg-deb', ['--info', join(cache, 'd_2.0_amd64.deb')]).status, 0);
      const { stats } = r;
      assert.equal(stats.tracking, 'lookup', JSON.stringify(stats));
      assert.equal(stats.hits, 2, JSON.stringify(stats));
      assert.equal(stats.misses, 1);
      const rec = mergeEffectiveness(undefined, stats);
      assert.deepEqual(validateRecord(cachingKey(APT_CACHE), rec), { ok: true });
    } finally {
      if (!detached) await detachAptCache(s, { last: true, pendingDir: mkdtempSync(join(scratch, 'pending-')) });
    }
  },
);

test(
  'apt cache: a symlink in the chroot path is refused before anything is mounted',
  { skip: needsRoot() },
  async () => {
    const cache = mkdtempSync(join(scratch, 'c-'));
    const chroot = mkdtempSync(join(scratch, 'evil-'));
    const hostSide = mkdtempSync(join(scratch, 'host-side-'));
    mkdirSync(join(chroot, 'var'));
    symlinkSync(hostSide, join(chroot, 'var', 'cache'));
    const before = mountinfo();
    await assert.rejects(bindCache(cache, chroot), /symlink/);
    assert.equal(mountinfo(), before);
    assert.equal(existsSync(join(hostSide, 'apt')), false, 'nothing created through the symlink');
  },
);

test(
  'unbind refuses when another mount is stacked on ours, and succeeds once it is gone',
  { skip: needsRoot() },
  async () => {
    const cache = mkdtempSync(join(scratch, 'c-'));
    const chroot = mkdtempSync(join(scratch, 'stack-'));
    const before = mountinfo();
    const h = await bindCache(cache, chroot);
    let stacked = false;
    try {
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isoswarm-test', h.target]).status, 0);
      stacked = true;
      const r = await unbindCache(h);
      assert.equal(r.unmounted, false);
      assert.match(r.reason, /stacked/);
    } finally {
      if (stacked) assert.equal(spawnSync('umount', [h.target]).status, 0);
      const r = await unbindCache(h);
      assert.equal(r.unmounted, true, r.reason);
    }
    assert.equal(mountinfo(), before);
    assert.equal((await unbindCache(h)).unmounted, false, 'a second unbind finds nothing of ours');
  },
);

test('debootstrap tarball cache: miss, store, hit, LRU eviction by size', async () => {
  const dir = join(scratch, 'tarballs');
  const c = new TarballCache(dir, 250_000);
  const spec = (suite: string) => ({
    suite,
    arch: 'amd64',
    variant: 'minbase',
    mirror: 'http://deb.debian.org/debian',
  });
  assert.equal(c.lookup(spec('bookworm')), null);
  for (const [i, suite] of ['bookworm', 'trixie', 'bullseye'].entries()) {
    const made = join(scratch, `made-${suite}.tgz`);
    writeFileSync(made, randomBytes(100_000));
    const stored = await c.store(spec(suite), made);
    assert.equal(existsSync(made), false, 'moved into the cache');
    const t = new Date(Date.now() - (10 - i) * 1000);
    utimesSync(stored, t, t);
  }
  // 300 kB > 250 kB: the least recently used (bookworm) went when bullseye arrived.
  assert.equal(c.lookup(spec('bookworm')), null);
  const hit = c.lookup(spec('trixie'));
  assert.ok(hit && lstatSync(hit).size === 100_000);
  assert.notEqual(
    c.name(spec('trixie')),
    c.name({ ...spec('trixie'), include: ['vim'] }),
    'a different package set is another tarball',
  );
  const st = c.stats();
  assert.deepEqual([st.cache, st.hits, st.misses, st.evicted, st.sizeBytes], [DEBOOTSTRAP_CACHE, 1, 2, 1, 200_000]);
  assert.deepEqual(validateRecord(cachingKey(DEBOOTSTRAP_CACHE), mergeEffectiveness(undefined, st)), { ok: true });
});
