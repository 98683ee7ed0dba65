// find takes a last name without its NUL as a start point, and our death mid-write ends its stdin
// mid-name: `printf 'a\0..' | find -files0-from - ... -delete` empties the folder holding the tree.
// Names beginning with ".." are never given to find (the walker takes them), so every stream cut
// short names only entries of the tree, the tree itself or nothing. Here every find's stream is cut
// right after a name-starting ".." if it has one, else before its final NUL.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { deleteAside } from '../../src/host/delete/aside.js';
import { bulkToolsAvailable } from '../../src/host/delete/bulk-find.js';
import { closeFd, openDir } from '../../src/host/fs/dir-fd.js';
import { fileIdOfFd } from '../../src/host/fs/open-nofollow.js';
import { canariesIntact, withFixture, writeCanary } from '../helpers/chroot-fixture.js';
import { makeTree } from '../helpers/cleaner-fixture.js';
import { killOurChildren, ourChildren } from '../helpers/own-children.js';
import { needsRoot } from '../helpers/root.js';

const skip = needsRoot() || (bulkToolsAvailable() ? false : 'no GNU find >= 4.9, setpriv or unshare');

/** Where a stream would be cut to name "..": right after a ".." that starts a name. */
function dotDotAt(names: Buffer): number {
  for (let i = 0; i + 1 < names.length; i++)
    if ((i === 0 || names[i - 1] === 0) && names[i] === 0x2e && names[i + 1] === 0x2e) return i + 2;
  return -1;
}

test(
  'names cut short reach find: "..x", "..." and ".hidden" are deleted, the trash\'s siblings are not',
  { skip },
  async () => {
    await withFixture('find-cut-names', async (fx) => {
      const t = fx.chroot;
      let files = makeTree(t, 8, 10);
      mkdirSync(`${t}/..x`);
      writeFileSync(`${t}/..x/f`, 'x');
      writeFileSync(`${t}/...`, 'y');
      mkdirSync(`${t}/.hidden`);
      writeFileSync(`${t}/.hidden/f`, 'z');
      writeFileSync(`${t}/.a`, 'w'); // its prefix "." is the tree itself: find may have it
      files += 4;
      writeCanary(fx, `${fx.scratch}/sibling`);
      mkdirSync(`${fx.scratch}/sibling-dir`);
      writeCanary(fx, `${fx.scratch}/sibling-dir/deep`);
      const fd = await openDir(t);
      const fileId = fileIdOfFd(fd);
      await closeFd(fd);
      const streams: string[] = [];
      try {
        const r = await deleteAside(t, undefined, {
          fileId,
          walkerWhileFindStarts: false,
          bulkHooks: {
            cutNames: (_i, names) => {
              streams.push(names.toString('latin1'));
              const at = dotDotAt(names);
              return at >= 0 ? at : Math.max(0, names.length - 1);
            },
          },
        });
        assert.deepEqual(canariesIntact(fx), [], "the trash's siblings are intact");
        const d = r.deleted;
        assert.ok(d, JSON.stringify(r));
        assert.equal(d.via, 'find', d.accounting);
        assert.ok(streams.length > 0, 'find was given names');
        for (const s of streams)
          assert.equal(dotDotAt(Buffer.from(s, 'latin1')), -1, `no name begins with "..": ${JSON.stringify(s)}`);
        assert.equal(d.complete, true, JSON.stringify(d));
        assert.equal(d.deletedFiles, files);
        assert.equal(existsSync(t), false);
        assert.equal(existsSync(r.moved.trashPath ?? t), false);
        assert.deepEqual(ourChildren(), []);
      } finally {
        killOurChildren();
      }
    });
  },
);
