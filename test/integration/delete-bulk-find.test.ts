// Over 250 lines on purpose: every way a mount or a name could lead find outside the tree, on real mounts.
// The deleter's bulk path (the system's find in a private mount namespace) against real mounts:
// it is taken only for a tree moved aside to a trash name, never with a mount under the target;
// a host mount made after find's checks stops every find before anything is deleted, one that
// appears while find runs makes the result incomplete; one find refusing stops them all; symlinks
// are unlinked as links; odd names are passed as they are; a swapped target is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { bulkRemove } from '../../src/host/delete/bulk-find.js';
import { deleteAside } from '../../src/host/delete/aside.js';
import { deleteTree, trashPathFor } from '../../src/host/delete/safe-delete.js';
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

/** The folder's top-level names as raw bytes, split in `k` groups (one find each). */
function groupsOf(dir: string, k: number): Buffer[][] {
  const names = readdirSync(dir, { encoding: 'buffer' });
  const g: Buffer[][] = Array.from({ length: Math.min(k, names.length) }, () => []);
  names.forEach((n, i) => g[i % g.length]!.push(n));
  return g;
}

const mountedAt = (p: string): boolean => readMountsSync().some((m) => m.mountPoint === p);

test(
  'moved aside on a tmpfs: find removes it, counts exactly, passes odd names as they are, unlinks links as links',
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
      // Names find must never take for options or split at a newline.
      mkdirSync(`${t}/-delete`);
      writeFileSync(`${t}/-delete/-rf`, 'abc');
      writeFileSync(`${t}/new\nline`, 'abcd');
      writeFileSync(`${t}/-`, '');
      const held = await openDir(t);
      const fileId = fileIdOfFd(held);
      await closeFd(held);
      // Everything by find (no walker while it starts): the odd names are find's to handle here.
      const r = await deleteAside(t, undefined, { fileId, walkerWhileFindStarts: false });
      const d = r.deleted;
      assert.ok(d, JSON.stringify(r));
      assert.equal(d.via, 'find', d.accounting);
      assert.match(d.accounting ?? '', /\(exact\)/);
      assert.equal(d.complete, true, JSON.stringify(d));
      assert.deepEqual(
        [d.deletedFiles, d.deletedDirs, d.bytes],
        [files + 5, 12 + 7 + 1 + 1, files * 5 + host.length + `${host}/precious`.length + 3 + 4],
      );
      assert.equal(existsSync(t), false);
      assert.deepEqual(readdirSync(fsDir), []);
      assert.deepEqual(canariesIntact(fx), []);
      assert.deepEqual(readdirSync(host).sort(), ['f0', 'precious', 'sub']);
    });
  },
);

test(
  'an in-place delete of a user-named folder never uses find: the walker does it',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-in-place', async (fx) => {
      const t = fx.chroot;
      const files = makeTree(t, 6, 20);
      const d = await deleteTree(t);
      assert.equal(d.via, 'walker', d.accounting);
      assert.match(d.accounting ?? '', /walker.*in place/);
      assert.equal(d.complete, true, JSON.stringify(d));
      assert.deepEqual([d.deletedFiles, d.deletedDirs], [files, 6 + 6 + 1]);
      assert.equal(existsSync(t), false);
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
      const b = await withPinned(t, (fd, id) => bulkRemove(fd, t, id, groupsOf(t, 2), () => undefined));
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /mounted at or under .*g0\/src/);
      assert.equal(await countEntries(t), before, 'not one entry deleted');
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

test(
  'a bind made on the host after the namespace checks: every find is stopped, nothing deleted, the mount stays',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-late-bind', async (fx) => {
      const host = hostDir(fx);
      const t = fx.chroot;
      makeTree(t, 6, 40);
      mkdirSync(`${t}/z/mnt`, { recursive: true });
      writeFileSync(`${t}/z/mnt/f0`, 'tree side');
      const before = await countEntries(t);
      let mounted = false;
      const b = await withPinned(t, (fd, id) =>
        bulkRemove(fd, t, id, groupsOf(t, 2), () => undefined, {
          beforeGo: () => {
            // Invisible in the finds' namespaces: removing z/mnt there would detach it on the host.
            const m = spawnSync('mount', ['--bind', host, `${t}/z/mnt`]);
            assert.equal(m.status, 0, String(m.stderr));
            mounted = true;
          },
        }),
      );
      assert.equal(mounted, true);
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /mounted on the host at or under .*z\/mnt/);
      assert.equal(mountedAt(`${t}/z/mnt`), true, 'the host mount is still there');
      assert.equal(spawnSync('umount', [`${t}/z/mnt`]).status, 0);
      assert.equal(await countEntries(t), before, 'not one entry deleted');
      assert.deepEqual(canariesIntact(fx), []);
      assert.deepEqual(readdirSync(host).sort(), ['f0', 'precious', 'sub']);
    });
  },
);

test(
  'a bind that appears on the host while find runs: the delete is reported incomplete, the mount stays',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-during-bind', async (fx) => {
      const host = hostDir(fx);
      const t = fx.chroot;
      makeTree(t, 6, 40);
      const trash = trashPathFor(t);
      renameSync(t, trash);
      const late = `${trash}/late`;
      const d = await deleteTree(trash, {
        walkerWhileFindStarts: false,
        bulkHooks: {
          afterGo: () => {
            // Not among the names the finds were given: it stays mounted, and must be noticed.
            mkdirSync(late);
            const m = spawnSync('mount', ['--bind', host, late]);
            assert.equal(m.status, 0, String(m.stderr));
          },
        },
      });
      assert.equal(d.via, 'find');
      assert.equal(d.complete, false, JSON.stringify(d));
      assert.ok(
        d.errors.some((e) => e.code === 'EMOUNTCHANGED' && e.message.includes(late)),
        JSON.stringify(d.errors),
      );
      assert.match(d.accounting ?? '', /not complete/);
      assert.equal(mountedAt(late), true);
      assert.equal(spawnSync('umount', [late]).status, 0);
      assert.deepEqual(canariesIntact(fx), []);
      assert.deepEqual(readdirSync(host).sort(), ['f0', 'precious', 'sub']);
    });
  },
);

test(
  'one find refusing its check while the others are ready: none gets "go", nothing deleted',
  { skip: needsRoot() },
  async () => {
    await withFixture('bulk-one-refuses', async (fx) => {
      const t = fx.chroot;
      makeTree(t, 9, 20);
      const before = await countEntries(t);
      const pids: number[] = [];
      const b = await withPinned(t, (fd, id) =>
        bulkRemove(fd, t, id, groupsOf(t, 3), () => undefined, {
          beforeCheck: (pid, i) => {
            pids.push(pid);
            // A mount inside the second find's own namespace only (the host never sees it).
            if (i === 1) {
              const m = spawnSync('nsenter', ['-t', String(pid), '-m', 'mount', '-t', 'tmpfs', 'x', `${t}/g1`]);
              assert.equal(m.status, 0, String(m.stderr));
            }
          },
        }),
      );
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /find 2 of 3 refused: mounted at or under .*g1/);
      assert.equal(pids.length, 2, 'the third was never checked');
      for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `find child ${pid} is gone`);
      assert.equal(await countEntries(t), before, 'not one entry deleted');
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);

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
      const b = await withPinned(t, (fd) => bulkRemove(fd, t, planned, groupsOf(t, 2), () => undefined));
      assert.equal(b.ran, false);
      assert.match(b.ran ? '' : b.why, /not the pinned/);
      assert.equal(existsSync(`${t}/other`), true);
      assert.equal(existsSync(`${fx.scratch}/moved/g0/d0/f0`), true);
    });
  },
);
