// Builder adapters: recognising live-build, debootstrap/mmdebstrap scripts and plain scripts;
// live-build's stage lines; its caches counted from two snapshots and the chroot's dpkg status.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectBuilder } from '../../src/builders/detect.js';
import { liveBuildCacheUse, installedInChroot, snapshotLiveBuildCache } from '../../src/builders/live-build-cache.js';
import { liveBuildMarks } from '../../src/builders/live-build-stages.js';
import {
  askedOptions,
  COMMON_CONFFILES,
  knobsFor,
  liveBuildConffiles,
  overlayText,
  readSquashKnobs,
} from '../../src/builders/live-build-knobs.js';

const dir = mkdtempSync('/tmp/isoswarm-test-builders-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('recognises live-build, debootstrap and mmdebstrap scripts, and plain scripts', () => {
  const lb = join(dir, 'lbproj');
  mkdirSync(join(lb, 'config'), { recursive: true });
  assert.equal(detectBuilder(['lb', 'build'], dir).name, 'live-build');
  assert.equal(detectBuilder(['/usr/bin/lb', '--debug', 'build'], dir).chroot, join(dir, 'chroot'));
  assert.equal(detectBuilder(['./build.sh'], lb).name, 'script', 'config/ without config/chroot is not enough');
  writeFileSync(join(lb, 'config', 'chroot'), 'LB_CHROOT_FILESYSTEM="squashfs"\n');
  const viaTree = detectBuilder(['./build.sh'], lb);
  assert.deepEqual([viaTree.name, viaTree.chroot], ['live-build', join(lb, 'chroot')]);
  writeFileSync(join(dir, 'deb.sh'), '#!/bin/sh\nset -e\nsudo debootstrap bookworm "$1"\nmksquashfs "$1" x.img\n');
  writeFileSync(join(dir, 'mm.sh'), '#!/bin/sh\nmmdebstrap --variant=apt bookworm root.tar\n');
  writeFileSync(join(dir, 'plain.sh'), '#!/bin/sh\n# debootstrap is not used here\nmake all\n');
  assert.equal(detectBuilder(['./deb.sh'], dir).name, 'debootstrap');
  assert.equal(detectBuilder(['./mm.sh'], dir).name, 'mmdebstrap');
  assert.equal(detectBuilder(['./plain.sh'], dir).name, 'script', 'a comment does not count');
  const direct = detectBuilder(['debootstrap', '--variant=minbase', 'bookworm', 'root'], dir);
  assert.deepEqual([direct.name, direct.chroot], ['debootstrap', join(dir, 'root')]);
  assert.equal(detectBuilder(['make', 'iso'], dir).name, 'script');
});

test("live-build's stage lines become stage marks; umbrella commands are left out", () => {
  const out = [
    'P: live-build 20230502',
    '[2026-12-01 10:00:00] lb build',
    '[2026-12-01 10:00:00] lb bootstrap',
    '[2026-12-01 10:00:01] lb bootstrap_cache restore',
    '[2026-12-01 10:00:01] lb bootstrap_debootstrap',
    'I: Retrieving InRelease',
    '\u001b[36m[2026-12-01 10:01:57] lb chroot_install-packages install\u001b[0m',
    '[2026-12-01 10:05:14] lb binary_rootfs --force',
  ].join('\n');
  const marks = liveBuildMarks(out);
  assert.deepEqual(
    marks.map((m) => m.name),
    ['bootstrap_cache restore', 'bootstrap_debootstrap', 'chroot_install-packages install', 'binary_rootfs'],
  );
  assert.equal(marks[1]!.at, new Date('2026-12-01T10:00:01').getTime());
  assert.equal(marks[3]!.at - marks[2]!.at, 197_000);
  assert.ok(marks.every((m) => m.source === 'live-build'));
});

test("live-build's caches: hits are cached .debs the chroot installed, misses the new ones", () => {
  const p = join(dir, 'lbcache');
  const pk = join(p, 'cache', 'packages.chroot');
  mkdirSync(pk, { recursive: true });
  writeFileSync(join(pk, 'alpha_1.0_amd64.deb'), Buffer.alloc(1000));
  writeFileSync(join(pk, 'stale_0.9_amd64.deb'), Buffer.alloc(500));
  const before = snapshotLiveBuildCache(p);
  writeFileSync(join(pk, 'beta_1%3a2.0_amd64.deb'), Buffer.alloc(3000));
  mkdirSync(join(p, 'cache', 'bootstrap', 'etc'), { recursive: true });
  writeFileSync(join(p, 'cache', 'bootstrap', 'etc', 'os'), 'x'.repeat(100));
  const chroot = join(p, 'chroot');
  mkdirSync(join(chroot, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    join(chroot, 'var/lib/dpkg/status'),
    'Package: alpha\nStatus: install ok installed\nVersion: 1.0\n\nPackage: beta\nStatus: install ok installed\nVersion: 1:2.0\n\nPackage: stale\nStatus: deinstall ok config-files\nVersion: 0.9\n',
  );
  const installed = installedInChroot(chroot);
  assert.deepEqual([...installed].sort(), ['alpha=1.0', 'beta=1:2.0']);
  const use = liveBuildCacheUse(before, snapshotLiveBuildCache(p), installed);
  assert.deepEqual(use, [
    {
      cache: 'live-build-packages-chroot',
      hits: 1,
      misses: 1,
      bytesSaved: 1000,
      bytesDownloaded: 3000,
      sizeBytes: 4500,
      tracking: 'lookup',
    },
    {
      cache: 'live-build-bootstrap',
      hits: 0,
      misses: 1,
      bytesSaved: 0,
      bytesDownloaded: 0,
      sizeBytes: 100,
      tracking: 'unavailable',
    },
  ]);
});

test("live-build's knobs: config files in its order, the user's TYPE/LEVEL, and the tuned call translated back", () => {
  assert.deepEqual(liveBuildConffiles({ LB_CONFIG: 'a b  c' }), ['a', 'b', 'c']);
  const files = liveBuildConffiles({ LB_ARCHITECTURE: 'amd64' });
  assert.deepEqual(files.slice(0, 7), [...COMMON_CONFFILES, 'config/all.amd64']);
  const user = readSquashKnobs([
    'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE=""\nLB_CHROOT_SQUASHFS_COMPRESSION_LEVEL=""\n',
    'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE="zstd"\n',
  ]);
  assert.deepEqual(user, { type: 'zstd', level: '' });
  assert.deepEqual(askedOptions(user, ' -b 1M  -processors 1'), ['-comp', 'zstd', '-b', '1M', '-processors', '1']);
  assert.deepEqual(askedOptions({ type: '', level: '' }, undefined), [], "live-build's xz default is not asked");
  // override to lz4: the overlay sets TYPE and clears the level; the rest goes to MKSQUASHFS_OPTIONS
  const o = knobsFor(['-comp', 'lz4', '-b', '1M', '-processors', '2'], { type: 'zstd', level: '19' });
  assert.deepEqual(o, {
    env: { MKSQUASHFS_OPTIONS: '-b 1M -processors 2' },
    overlay: { type: 'lz4', level: '' },
  });
  assert.match(overlayText(o.overlay!), /^LB_CHROOT_SQUASHFS_COMPRESSION_TYPE="lz4"$/m);
  // fill with nothing asked: no compressor change, no overlay
  assert.deepEqual(knobsFor(['-processors', '2', '-b', '1024K'], { type: '', level: '' }), {
    env: { MKSQUASHFS_OPTIONS: '-processors 2 -b 1024K' },
    overlay: null,
  });
  const z = knobsFor(['-comp', 'zstd', '-Xcompression-level', '6'], { type: '', level: '' });
  assert.deepEqual(z.overlay, { type: 'zstd', level: '6' });
});
