// The deleter's bulk path (the system's find in a private mount namespace) against real mounts:
// it is never taken with a mount under the target, never enters a bind made after its checks,
// unlinks symlinks as links, and a target swapped for a symlink after planning is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { bulkRemove } from '../../src/host/delete/bulk-find.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { closeFd, openDir } from '../../src/host/fs/dir-fd.js';
import { fileIdOfFd } from '../../src/host/fs/open-nofollow.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { bindHost, canariesIntact, mount, withFixture, writeCanary, type Fixture } from '../helpers/chroot-fixture.js';
import { countEntries, makeTree } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

function hostDir(fx: Fixture): string {
  const host = `${fx.scratch}/host-src`;
  mkdirSync(host);
  writeCanary(fx, `${host}/precious`);
  writeCanary(fx, `${host}/f0`); // a name the tree has too
  mkdirSync(`${host}/sub`);
  writeCanary(fx, `${host}/sub/deep`);
  return host;
}

async function withPinned<T>(path: string, fn: (fd: number, fileId: string) => Promise<T>): Promise<T> {
  const fd = await openDir(path);
  try {
    return await fn(fd, fileIdOfFd(fd));
  } finally {
    await closeFd(fd);
  }
}

test(
  'on a tmpfs: find removes the tree, counts exactly, and unlinks symlinks to host folders as links',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-tmpfs', async (fx) => {
      const host = hostDir(fx);
      const fsDir = `${fx.scratch}/fs`;
      mkdirSync(fsDir);
      await mount('-t', 'tmpfs', '-o', 'size=64m', 'isoswarm-test', fsDir);
      const t = `${fsDir}/chroot`;
      const files = makeTree(t, 12, 30, 5);
      symlinkSync(host, `${t}/hostdir`);
      symlinkSync(`${host}/precious`, `${t}/g0/hostfile`);
      const r = await deleteTree(t);
      assert.equal(r.via, 'find', r.accounting);
      assert.equal(r.complete, true, JSON.stringify(r));
      assert.deepEqual(
        [r.deletedFiles, r.deletedDirs, r.bytes],
        [files + 2, 12 + 7 + 1, files * 5 + host.length + `${host}/precious`.length],
      );
      assert.equal(existsSync(t), false);
      assert.deepEqual(canariesIntact(fx), []);
      assert.deepEqual(readdirSync(host).sort(), ['f0', 'precious', 'sub']);
    });
  },
);

test(
  'a same-file-system bind of a host folder under the target: the bulk path is never taken, host intact',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-bind', async (fx) => {
      const host = hostDir(fx);
      const t = fx.chroot;
      makeTree(t, 4, 10);
      await bindHost(host, `${t}/g0/src`);
      const before = await countEntries(t);
      const d = await deleteTree(t);
      assert.match(d.refused ?? '', /still mounted.*g0\/src/);
      assert.equal(d.via, undefined, 'refused before any method was chosen');
      // The namespace check itself, when called past the deleter's own checks:
      const b = await withPinned(t, (fd, id) => bulkRemove(fd, t, id, () => undefined));
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /mounted at or under .*g0\/src/);
      assert.equal(await countEntries(t), before, 'not one entry deleted');
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

test('a bind made on the host after the checks, while find runs, is never entered', { skip: needsRoot() }, async () => {
  await withFixture('bulk-late-bind', async (fx) => {
    const host = hostDir(fx);
    const t = fx.chroot;
    makeTree(t, 6, 40);
    mkdirSync(`${t}/z/mnt`, { recursive: true });
    writeFileSync(`${t}/z/mnt/f0`, 'tree side');
    let mounted = false;
    const b = await withPinned(t, (fd, id) =>
      bulkRemove(
        fd,
        t,
        id,
        () => undefined,
        () => {
          // After the namespace checks, before "go": a same-file-system bind over a tree folder.
          const m = spawnSync('mount', ['--bind', host, `${t}/z/mnt`]);
          assert.equal(m.status, 0, String(m.stderr));
          mounted = true;
        },
      ),
    );
    assert.equal(mounted, true);
    assert.equal(b.ran, true);
    assert.deepEqual(canariesIntact(fx), [], 'nothing the bind exposed was deleted');
    assert.deepEqual(readdirSync(host).sort(), ['f0', 'precious', 'sub']);
    // find removed the folder it saw empty in its own namespace; the kernel then detaches the
    // host's mount on it (what it exposed is untouched).
    assert.equal(
      readMountsSync().some((m) => m.mountPoint === `${t}/z/mnt`),
      false,
    );
  });
});

test(
  'the target swapped for a symlink (or another folder) between plan and apply is refused',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-swap', async (fx) => {
      const host = hostDir(fx);
      const t = fx.chroot;
      makeTree(t, 3, 10);
      const planned = await withPinned(t, async (_fd, id) => id);
      renameSync(t, `${fx.scratch}/moved`);
      symlinkSync(host, t);
      const d = await deleteTree(t, { expectFileId: planned });
      assert.match(d.refused ?? '', /symlink/);
      assert.equal(lstatSync(t).isSymbolicLink(), true);
      assert.deepEqual(canariesIntact(fx), []);
      // Swapped for another real folder: refused as changed.
      spawnSync('rm', [t]);
      mkdirSync(t);
      writeFileSync(`${t}/other`, 'x');
      const d2 = await deleteTree(t, { expectFileId: planned });
      assert.equal(d2.changed, true, JSON.stringify(d2));
      assert.equal(existsSync(`${t}/other`), true);
      // The bulk path's own check: a pinned fd whose "dev:ino" is not the planned one.
      const b = await withPinned(t, (fd) => bulkRemove(fd, t, planned, () => undefined));
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /not the pinned/);
      assert.equal(existsSync(`${t}/other`), true);
      assert.equal(existsSync(`${fx.scratch}/moved/g0/d0/f0`), true);
    });
  },
);
