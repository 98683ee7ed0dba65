// The root result cache's pack and unpack on real files: owners, modes, setuid, xattrs, device
// nodes, hard links, symlinks and sparse files come back as they were; a mount inside the root is
// not packed (another file system) or refused (a bind of the same one); a target that already
// holds files is not fresh; a changed tarball fails verification.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freshTarget, packRoot, unpackRoot, verifyTarball } from '../../src/host/cache/root-tarball.js';
import { removeScratch } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('root tarball: pack, verify, unpack', { skip: needsRoot() }, () => {
  const work = mkdtempSync('/tmp/isoswarm-test-root-tarball-');
  after(() => removeScratch(work));
  const src = join(work, 'src');
  const dst = join(work, 'dst');

  test('everything a root holds comes back; mounts inside are not packed; verification catches a change', async () => {
    for (const d of ['etc', 'usr/bin', 'dev', 'var/lib', 'proc', 'mnt/bind', 'var/cache/apt/archives/partial'])
      mkdirSync(join(src, d), { recursive: true });
    writeFileSync(join(src, 'etc/config'), 'x=1\n', { mode: 0o640 });
    chownSync(join(src, 'etc/config'), 1234, 5678);
    writeFileSync(join(src, 'usr/bin/tool'), 'bin', { mode: 0o4755 });
    linkSync(join(src, 'usr/bin/tool'), join(src, 'usr/bin/tool-hard'));
    symlinkSync('tool', join(src, 'usr/bin/tool-sym'));
    sh('mknod', [join(src, 'dev/null'), 'c', '1', '3']);
    sh('setfattr', ['-n', 'user.isoswarm', '-v', 'kept', join(src, 'etc/config')]);
    sh('setcap', ['cap_net_raw+ep', join(src, 'usr/bin/tool')]);
    sh('truncate', ['-s', '64M', join(src, 'var/lib/sparse')]);
    writeFileSync(join(src, 'var/cache/apt/archives/pkg_1_amd64.deb'), 'a package');
    // proc is another file system: its files must not be packed.
    sh('mount', ['-t', 'proc', 'proc', join(src, 'proc')]);
    try {
      assert.deepEqual(await freshTarget(dst), { ok: true }, 'a missing target is fresh');
      const p = await packRoot(src, join(work, 'root'));
      assert.match(p.file, /\.tar\.(zst|gz)$/);
      assert.equal(p.sha256.length, 64);
      assert.ok(p.bytes < 1 << 20, `the sparse file is packed sparse (${p.bytes} bytes)`);
      assert.equal(await verifyTarball(p.file, p.sha256, p.bytes), null);
      const ms = await unpackRoot(p.file, dst);
      assert.ok(ms >= 0);
      const a = lstatSync(join(dst, 'etc/config'));
      assert.deepEqual([a.uid, a.gid, a.mode & 0o7777], [1234, 5678, 0o640], 'owner and mode');
      assert.equal(sh('getfattr', ['--only-values', '-n', 'user.isoswarm', join(dst, 'etc/config')]), 'kept', 'xattr');
      assert.match(sh('getcap', [join(dst, 'usr/bin/tool')]), /cap_net_raw[=+]ep/, 'file capability (security xattr)');
      const t = lstatSync(join(dst, 'usr/bin/tool'));
      assert.equal(t.mode & 0o7777, 0o4755, 'setuid');
      assert.equal(lstatSync(join(dst, 'usr/bin/tool-hard')).ino, t.ino, 'hard link');
      assert.equal(t.nlink, 2);
      assert.ok(lstatSync(join(dst, 'usr/bin/tool-sym')).isSymbolicLink());
      const n = lstatSync(join(dst, 'dev/null'));
      assert.ok(n.isCharacterDevice() && n.rdev === lstatSync('/dev/null').rdev, 'device node 1:3');
      assert.equal(lstatSync(join(dst, 'var/lib/sparse')).size, 64 << 20);
      assert.ok(lstatSync(join(dst, 'var/lib/sparse')).blocks < 1024, 'still sparse');
      assert.deepEqual(sh('ls', ['-A', join(dst, 'proc')]), '', "proc's files were not packed");
      assert.deepEqual(
        sh('ls', ['-A', join(dst, 'var/cache/apt/archives')]),
        'partial\n',
        'downloaded .debs are not part of the root',
      );
      const fresh = await freshTarget(dst);
      assert.equal(fresh.ok, false, 'a restored target is not fresh any more');
      appendFileSync(p.file, 'x');
      assert.match((await verifyTarball(p.file, p.sha256, p.bytes)) ?? '', /bytes/);
      writeFileSync(
        p.file,
        readFileSync(p.file)
          .subarray(0, p.bytes)
          .map((b, i) => (i === 100 ? b ^ 1 : b)),
      );
      assert.match((await verifyTarball(p.file, p.sha256, p.bytes)) ?? '', /sha256/);
    } finally {
      sh('umount', [join(src, 'proc')]);
    }
  });

  test('a bind of the same file system inside the root is refused; an empty tree with a mount point is fresh', async () => {
    const host = join(work, 'host-dir');
    mkdirSync(host);
    writeFileSync(join(host, 'secret'), 'host file');
    sh('mount', ['--bind', host, join(src, 'mnt/bind')]);
    try {
      await assert.rejects(packRoot(src, join(work, 'root2')), /mount of the root's own file system/);
      const empty = join(work, 'empty');
      mkdirSync(join(empty, 'var/cache/apt/archives'), { recursive: true });
      sh('mount', ['--bind', host, join(empty, 'var/cache/apt/archives')]);
      try {
        assert.deepEqual(await freshTarget(empty), { ok: true }, 'files under a mount point do not count');
      } finally {
        sh('umount', [join(empty, 'var/cache/apt/archives')]);
      }
    } finally {
      sh('umount', [join(src, 'mnt/bind')]);
    }
  });
});
