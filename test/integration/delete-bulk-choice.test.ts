// The plan's entry count picks the delete's method for a trash tree: too few entries for a find
// to pay for its start go to the walker alone; more get a find per 1,000 entries up to one per
// processor, as does no count. By default the walker works while the finds start and find takes what is left.
// Counts stay exact either way, and the host's canaries survive.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { deleteAside } from '../../src/host/delete/aside.js';
import { bulkToolsAvailable } from '../../src/host/delete/bulk-find.js';
import { WALKER_BELOW } from '../../src/host/delete/bulk-choice.js';
import { closeFd, openDir } from '../../src/host/fs/dir-fd.js';
import { fileIdOfFd } from '../../src/host/fs/open-nofollow.js';
import { canariesIntact, mount, withFixture } from '../helpers/chroot-fixture.js';
import { countEntries, makeTree } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

async function pinned(path: string): Promise<string> {
  const fd = await openDir(path);
  try {
    return fileIdOfFd(fd);
  } finally {
    await closeFd(fd);
  }
}

test(
  'a trash tree: the plan count sends a small one to the walker, a bigger one to a find per 1,000 entries',
  { skip: needsRoot() || (bulkToolsAvailable() ? false : 'no GNU find >= 4.9, setpriv or unshare') },
  async () => {
    await withFixture('bulk-choice', async (fx) => {
      const fsDir = `${fx.scratch}/fs`;
      mkdirSync(fsDir);
      await mount('-t', 'tmpfs', '-o', 'size=64m', 'isoswarm-test', fsDir);
      const cases = [
        { dirs: 10, files: 10, via: 'walker', note: /find not started: \d+ entries planned/ },
        { dirs: 100, files: 20, via: 'find', note: /, [12] in parallel \(exact\)$/, alone: true },
        { dirs: 100, files: 20, via: 'find', note: /, [1-4] in parallel \(exact\)$/, noCount: true, alone: true },
        // The walker while the finds start: which of the two removes the last entry, and whether the
        // finds (started before the move-aside) are ready before the walker removed anything,
        // depends on the machine's load; the counts do not.
        {
          dirs: 100,
          files: 20,
          via: /^(find|walker)$/,
          note: /the walker removed \d+ files and \d+ folders while find started|walker removed it all|, [12] in parallel \(exact\)$/,
        },
      ];
      for (const [i, c] of cases.entries()) {
        const t = `${fsDir}/t${i}`;
        const files = makeTree(t, c.dirs, c.files, 3);
        const entries = (await countEntries(t)) - 1; // find lists the root too
        assert.equal(entries >= WALKER_BELOW, c.via !== 'walker', `case ${i}: ${entries} entries`);
        const r = await deleteAside(t, undefined, {
          fileId: await pinned(t),
          ...(c.noCount ? {} : { expectedEntries: entries }),
          ...(c.alone ? { walkerWhileFindStarts: false } : {}),
        });
        const d = r.deleted;
        assert.ok(d, JSON.stringify(r));
        assert.equal(d.complete, true, JSON.stringify(d));
        if (typeof c.via === 'string') assert.equal(d.via, c.via, d.accounting);
        else assert.match(d.via ?? '', c.via, d.accounting);
        assert.match(d.accounting ?? '', c.note);
        assert.equal(d.deletedFiles, files);
        assert.equal(d.bytes, files * 3);
        assert.equal(d.deletedFiles + d.deletedDirs, entries + 1, 'every entry and the root');
        assert.equal(existsSync(t), false);
        assert.equal(existsSync(r.moved.trashPath ?? ''), false);
      }
      assert.deepEqual(canariesIntact(fx), []);
    });
  },
);
