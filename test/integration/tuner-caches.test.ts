// The build caches on real directories and real bind mounts: the apt archive cache is bound into a
// chroot and taken away again (only our mount), hits and downloads are counted from real reads and
// writes through the bind, LRU eviction keeps what the build used, and the debootstrap tarball
// cache hits, misses and evicts by its limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { needsRoot } from '../helpers/root.js';
import { bindCache, unbindCache } from '../../src/host/mounts/cache-bind.js';
import { evictLru, listCache } from '../../src/host/cache/cache-dir.js';
import { validateRecord } from '../../src/schemas/memory-records.js';
import { APT_CACHE, DEBOOTSTRAP_CACHE, TarballCache, attachAptCache, cachingKey, detachAptCache, mergeEffectiveness } from '../../agents/performance-tuner/caches.js';

const scratch = mkdtempSync('/tmp/isoswarm-test-caches-');
after(() => {
  // Never remove across a mount: if a test left one behind, fail loudly instead.
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  if (mi.includes(scratch)) throw new Error(`a mount under ${scratch} was left behind`);
  rmSync(scratch, { recursive: true, force: true });
});

const mountinfo = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(scratch)).join('\n');

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
  assert.deepEqual(r.evicted.map((e) => e.name), ['old.deb', 'mid.deb']);
  assert.equal(r.sizeBytes, 2000);
  assert.deepEqual(listCache(dir).map((f) => f.name).sort(), ['kept-old.deb', 'new.deb', 'notes.txt']);
});

test('apt cache: bound into the chroot, hits and downloads counted, only our mount removed', { skip: needsRoot() }, async () => {
  const cache = join(scratch, 'apt-cache');
  const chroot = join(scratch, 'chroot');
  mkdirSync(cache);
  mkdirSync(join(chroot, 'var'), { recursive: true });
  file(cache, 'a_1.0_amd64.deb', 40_000, 3000);
  file(cache, 'b_1.0_amd64.deb', 50_000, 2000);
  file(cache, 'c_1.0_amd64.deb', 60_000, 1000);
  const before = mountinfo();
  const s = await attachAptCache(cache, chroot, 150_000);
  try {
    const target = join(chroot, 'var/cache/apt/archives');
    assert.equal(s.handle.target, target);
    assert.match(mountinfo(), new RegExp(`^${s.handle.mountId} .* ${target} `, 'm'), 'the bind is in the mount table');
    // The build: apt reads two cached packages and downloads one, all through the bind.
    for (const n of ['a_1.0_amd64.deb', 'c_1.0_amd64.deb']) assert.equal(spawnSync('cat', [join(target, n)], { stdio: ['ignore', 'ignore', 'inherit'] }).status, 0);
    writeFileSync(join(target, 'd_2.0_amd64.deb'), randomBytes(70_000));
  } finally {
    const { unbind, stats } = await detachAptCache(s);
    assert.equal(unbind.unmounted, true, unbind.reason);
    assert.equal(mountinfo(), before, 'mount table as before');
    assert.equal(stats.tracking, "atime", JSON.stringify(stats));
    assert.equal(stats.hits, 2, JSON.stringify(stats));
    assert.equal(stats.hits, 2);
    assert.equal(stats.misses, 1);
    assert.equal(stats.bytesSaved, 100_000);
    assert.equal(stats.bytesDownloaded, 70_000);
    // 220 kB > 150 kB limit: the package this build did not use goes, the used ones stay.
    assert.equal(stats.evicted, 1);
    assert.deepEqual(listCache(cache).map((f) => f.name).sort(), ['a_1.0_amd64.deb', 'c_1.0_amd64.deb', 'd_2.0_amd64.deb']);
    const rec = mergeEffectiveness(undefined, stats);
    assert.equal(rec.hitRate, 2 / 3);
    assert.deepEqual(validateRecord(cachingKey(APT_CACHE), rec), { ok: true });
  }
});

test('apt cache: a symlink in the chroot path is refused before anything is mounted', { skip: needsRoot() }, async () => {
  const cache = mkdtempSync(join(scratch, 'c-'));
  const chroot = mkdtempSync(join(scratch, 'evil-'));
  const hostSide = mkdtempSync(join(scratch, 'host-side-'));
  mkdirSync(join(chroot, 'var'));
  symlinkSync(hostSide, join(chroot, 'var', 'cache'));
  const before = mountinfo();
  await assert.rejects(bindCache(cache, chroot), /symlink/);
  assert.equal(mountinfo(), before);
  assert.equal(existsSync(join(hostSide, 'apt')), false, 'nothing created through the symlink');
});

test('unbind refuses when another mount is stacked on ours, and succeeds once it is gone', { skip: needsRoot() }, async () => {
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
});

test('debootstrap tarball cache: miss, store, hit, LRU eviction by size', async () => {
  const dir = join(scratch, 'tarballs');
  const c = new TarballCache(dir, 250_000);
  const spec = (suite: string) => ({ suite, arch: 'amd64', variant: 'minbase', mirror: 'http://deb.debian.org/debian' });
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
  assert.notEqual(c.name(spec('trixie')), c.name({ ...spec('trixie'), include: ['vim'] }), 'a different package set is another tarball');
  const st = c.stats();
  assert.deepEqual([st.cache, st.hits, st.misses, st.evicted, st.sizeBytes], [DEBOOTSTRAP_CACHE, 1, 2, 1, 200_000]);
  assert.deepEqual(validateRecord(cachingKey(DEBOOTSTRAP_CACHE), mergeEffectiveness(undefined, st)), { ok: true });
});
