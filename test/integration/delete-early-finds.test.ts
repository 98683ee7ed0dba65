// The finds of a delete start before its move-aside. These tests make mounts after they started
// (after the move-aside, and after the tree passed the deleter's own checks): the mount is never
// crossed and its canary survives. And no find child outlives the delete call, whichever of the
// walker and find removed the tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { deleteAside } from '../../src/host/delete/aside.js';
import { bulkToolsAvailable } from '../../src/host/delete/bulk-find.js';
import { closeFd, openDir } from '../../src/host/fs/dir-fd.js';
import { fileIdOfFd } from '../../src/host/fs/open-nofollow.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { bindHost, canariesIntact, withFixture, writeCanary, type Fixture } from '../helpers/chroot-fixture.js';
import { makeTree } from '../helpers/cleaner-fixture.js';
import { ourChildren } from '../helpers/own-children.js';
import { needsRoot } from '../helpers/root.js';

const skip = needsRoot() || (bulkToolsAvailable() ? false : 'no GNU find >= 4.9, setpriv or unshare');

async function pinned(path: string): Promise<string> {
  const fd = await openDir(path);
  try {
    return fileIdOfFd(fd);
  } finally {
    await closeFd(fd);
  }
}

function hostDir(fx: Fixture): string {
  const host = `${fx.scratch}/host-src`;
  mkdirSync(host);
  writeCanary(fx, `${host}/precious`);
  return host;
}

test('a host mount made under the tree after its finds started is never crossed', { skip }, async () => {
  await withFixture('early-finds-mount', async (fx) => {
    const host = hostDir(fx);
    const t = fx.chroot;
    const files = makeTree(t, 40, 20);
    mkdirSync(`${t}/g0/mnt`);
    let trash = '';
    let late = '';
    const pids: number[] = [];
    const r = await deleteAside(t, undefined, {
      fileId: await pinned(t),
      expectedEntries: files + 48,
      walkerWhileFindStarts: false,
      onMoved: (p) => void (trash = p),
      bulkHooks: {
        // The finds' namespaces were copied before this mount: they cannot see it, the host check can.
        beforeCheck: (pid) => {
          pids.push(pid);
          if (late !== '') return;
          late = `${trash}/g0/mnt`;
          assert.equal(spawnSync('mount', ['--bind', host, late]).status, 0);
          assert.equal(spawnSync('mount', ['--make-private', late]).status, 0);
        },
      },
    });
    const d = r.deleted;
    assert.ok(d, JSON.stringify(r));
    assert.ok(pids.length > 0, 'the finds were started and checked');
    assert.equal(d.via, 'walker', d.accounting);
    assert.match(d.accounting ?? '', /find not used: mounted on the host at or under .*g0\/mnt/);
    assert.equal(d.complete, false);
    // The walker may have moved g0 up to the tree's top (a split) before it met the mount.
    assert.ok(
      d.skipped.some((s) => s.path === late || s.reason.includes(late)),
      JSON.stringify(d.skipped),
    );
    const left = readMountsSync().filter((m) => m.mountPoint.startsWith(`${trash}/`));
    assert.equal(left.length, 1, 'the host mount is still there');
    assert.deepEqual(readdirSync(left[0]!.mountPoint), ['precious']);
    assert.equal(spawnSync('umount', [left[0]!.mountPoint]).status, 0);
    assert.deepEqual(canariesIntact(fx), []);
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `find child ${pid} is gone`);
    assert.deepEqual(ourChildren(), []);
  });
});

test('a host mount made right after the move-aside: refused before anything is deleted', { skip }, async () => {
  await withFixture('early-finds-moved', async (fx) => {
    const host = hostDir(fx);
    const t = fx.chroot;
    const files = makeTree(t, 40, 20);
    let late = '';
    const r = await deleteAside(t, undefined, {
      fileId: await pinned(t),
      expectedEntries: files + 48,
      onMoved: async (trash) => {
        late = `${trash}/g1/mnt`;
        await bindHost(host, late);
      },
    });
    assert.match(r.deleted?.refused ?? '', /still mounted at or under/);
    assert.equal(r.deleted?.deletedFiles, 0);
    assert.equal(existsSync(`${late}/precious`), true);
    assert.equal(spawnSync('umount', [late]).status, 0);
    assert.equal(readdirSync(`${late}/..`).length > 1, true, 'the tree around it is still there');
    assert.deepEqual(canariesIntact(fx), []);
    assert.deepEqual(ourChildren(), []);
  });
});

test('no find child outlives a delete, whether the walker or find removed the tree', { skip }, async () => {
  await withFixture('early-finds-exit', async (fx) => {
    const cases = [
      // A few entries planned as many: finds are started, and the walker may well finish first.
      { dirs: 3, files: 3, planned: 30_000 },
      { dirs: 60, files: 20, planned: undefined },
      { dirs: 60, files: 20, planned: 1300 },
    ];
    for (const [i, c] of cases.entries()) {
      for (let rep = 0; rep < 3; rep++) {
        const t = `${fx.scratch}/t${i}-${rep}`;
        const files = makeTree(t, c.dirs, c.files);
        const r = await deleteAside(t, undefined, { fileId: await pinned(t), expectedEntries: c.planned });
        assert.equal(r.deleted?.complete, true, JSON.stringify(r));
        assert.equal(r.deleted?.deletedFiles, files);
        assert.deepEqual(ourChildren(), [], `case ${i} rep ${rep}: ${r.deleted?.accounting}`);
        assert.equal(existsSync(t), false);
      }
    }
  });
});
