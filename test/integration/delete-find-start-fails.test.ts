// A find child whose spawn throws (ENOTDIR here: its cwd, the tree's fd, is made a regular file;
// ENOMEM when fork fails) must not leave the children already started running: each is a find in
// a private copy of every host mount, blocked on stdin, which would pin every copied file system.
// The delete reports the error, no child remains, and nothing was deleted.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { deleteAside } from '../../src/host/delete/aside.js';
import { bulkRemove, bulkToolsAvailable } from '../../src/host/delete/bulk-find.js';
import { closeFd, openDir } from '../../src/host/fs/dir-fd.js';
import { fileIdOfFd } from '../../src/host/fs/open-nofollow.js';
import { canariesIntact, withFixture } from '../helpers/chroot-fixture.js';
import { countEntries, makeTree } from '../helpers/cleaner-fixture.js';
import { fileAtFd, killOurChildren, ourChildren } from '../helpers/own-children.js';
import { needsRoot } from '../helpers/root.js';

const skip = needsRoot() || (bulkToolsAvailable() ? false : 'no GNU find >= 4.9, setpriv or unshare');

test(
  'the second early find cannot be spawned: the first is ended, the delete fails, nothing is deleted',
  { skip: skip || (availableParallelism() < 2 ? 'one processor: one find only' : false) },
  async () => {
    await withFixture('find-start-early', async (fx) => {
      const t = fx.chroot;
      makeTree(t, 6, 5);
      const entries = await countEntries(t);
      const notDir = `${fx.scratch}/not-a-dir`;
      writeFileSync(notDir, '');
      const fd = await openDir(t);
      const fileId = fileIdOfFd(fd);
      await closeFd(fd);
      const spawned: number[] = [];
      try {
        const err = await deleteAside(t, undefined, {
          fileId,
          bulkHooks: {
            beforeSpawn: (i, rootFd) => {
              spawned.push(i);
              if (i === 1) fileAtFd(rootFd, notDir);
            },
          },
        }).then(
          (r) => r,
          (e: Error) => e,
        );
        assert.deepEqual(spawned, [0, 1]);
        assert.deepEqual(ourChildren(), [], 'no find child is left');
        assert.ok(err instanceof Error, JSON.stringify(err));
        assert.match(err.message, /find 2 of \d could not be started: .*ENOTDIR/);
        assert.equal(await countEntries(t), entries, 'nothing was deleted');
        assert.deepEqual(canariesIntact(fx), []);
      } finally {
        killOurChildren();
      }
    });
  },
);

test('bulkRemove: a find that cannot be spawned ends the ones started before it', { skip }, async () => {
  await withFixture('find-start-bulk', async (fx) => {
    const t = fx.chroot;
    makeTree(t, 6, 5);
    const entries = await countEntries(t);
    const notDir = `${fx.scratch}/not-a-dir`;
    writeFileSync(notDir, '');
    const fd = await openDir(t);
    try {
      const names = [0, 1, 2].map((i) => [Buffer.from(`g${i}`)]);
      const err = await bulkRemove(fd, t, fileIdOfFd(fd), names, () => undefined, {
        beforeSpawn: (i, rootFd) => {
          if (i === 2) fileAtFd(rootFd, notDir);
        },
      }).then(
        (r) => r,
        (e: Error) => e,
      );
      assert.deepEqual(ourChildren(), [], 'no find child is left');
      assert.ok(err instanceof Error, JSON.stringify(err));
      assert.match(err.message, /find 3 of 3 could not be started: .*ENOTDIR/);
      assert.equal(await countEntries(t), entries, 'nothing was deleted');
    } finally {
      killOurChildren();
      await closeFd(fd); // the regular file now at that number
    }
  });
});
