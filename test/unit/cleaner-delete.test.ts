import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { fsTypeName, isPseudoFs, statfsType } from '../../src/host/fs/fs-type.js';
import { deleteTree, isTrashName, moveAside, trashPathFor } from '../../src/host/delete/safe-delete.js';
import { treeSize } from '../../src/host/walk/tree-size.js';
import {
  brokenCanaries,
  countEntries,
  makeDeepChain,
  makeScratch,
  makeTree,
  removeScratch,
  writeCanaries,
} from '../helpers/cleaner-fixture.js';
import { isRoot } from '../helpers/root.js';

const scratch = makeScratch('delete');
after(() => removeScratch(scratch));
let n = 0;
const fresh = (): string => `${scratch}/t${n++}`;

test('deletes a tree completely and counts files, folders and bytes (find as root, and the walker alone)', async () => {
  for (const method of ['auto', 'walker', 'in place'] as const) {
    const made = fresh();
    // find is used only on a tree moved aside to a trash name; in place, the walker does it all.
    const t = method === 'in place' ? made : trashPathFor(made);
    const files = makeTree(t, 30, 50, 7); // 30 leaf dirs under 7 group dirs + the root
    const size = await treeSize(t);
    assert.deepEqual(
      { files: size.files, bytes: size.bytes, truncated: size.truncated },
      { files, bytes: files * 7, truncated: false },
    );
    assert.equal(size.dirs, 30 + 7);
    let progressed = 0;
    const r = await deleteTree(t, {
      method: method === 'walker' ? 'walker' : 'auto',
      onProgress: (f) => (progressed = f),
    });
    assert.equal(r.complete, true, JSON.stringify(r.errors));
    assert.equal(r.via, method === 'auto' && isRoot ? 'find' : 'walker', r.accounting);
    assert.equal(r.deletedFiles, files);
    assert.equal(r.deletedDirs, 30 + 7 + 1);
    assert.equal(r.bytes, files * 7);
    assert.equal(progressed, files, 'the last progress report is the total');
    assert.equal(existsSync(t), false);
  }
});

test('worker threads and the inline path give the same result on a bigger tree', async () => {
  for (const workers of [0, 3]) {
    const t = fresh();
    const files = makeTree(t, 25, 100, 1);
    const r = await deleteTree(t, {
      method: 'walker',
      workers,
      eagerWorkers: true,
      countBytes: workers === 0,
    });
    assert.equal(r.complete, true);
    assert.equal(r.deletedFiles, files);
    assert.equal(r.deletedDirs, 25 + 7 + 1);
    assert.equal(r.bytes, workers === 0 ? files : 0);
    assert.equal(existsSync(t), false);
  }
});

test('on worker threads: deep chains split off, a named mount point kept, no fd warnings', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const t = fresh();
    makeDeepChain(`${t}/deep`, 1200, 'd');
    // Big enough that the threads are ready before this thread, walking while they start, is done
    // with it, even with both cores busy (with 1,800 files it once finished first).
    const files = makeTree(`${t}/wide`, 30, 1000);
    const mp = `${t}/wide/g3/d3/bound`;
    const canaries = writeCanaries(mp);
    const r = await deleteTree(t, { workers: 3, eagerWorkers: true, mountPoints: new Set([mp]) });
    assert.ok((r.workers ?? 0) > 0, 'threads took part');
    assert.deepEqual(r.errors, []);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0]?.reason ?? '', /mount point \(mountinfo\)/);
    assert.deepEqual(brokenCanaries(canaries), []);
    assert.equal(r.deletedFiles, files + 13);
    assert.equal(r.complete, false);
    assert.equal(existsSync(`${t}/deep`), false);
    assert.ok(existsSync(r.skipped[0]?.path ?? ''), 'the kept folder is where the report says');
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(
    warnings.filter((w) => /descriptor/i.test(w)),
    [],
  );
});

test('symlinks to host files and folders are unlinked, never followed', async () => {
  const host = `${scratch}/host-side`;
  const canaries = writeCanaries(host);
  const t = fresh();
  mkdirSync(`${t}/etc`, { recursive: true });
  symlinkSync(host, `${t}/dirlink`);
  symlinkSync(`${host}/canary-0`, `${t}/etc/filelink`);
  symlinkSync('/', `${t}/rootlink`);
  symlinkSync('../../host-side', `${t}/etc/rel`);
  symlinkSync(`${t}/missing`, `${t}/dangling`);
  const r = await deleteTree(t);
  assert.equal(r.complete, true);
  assert.equal(r.deletedFiles, 5);
  assert.deepEqual(brokenCanaries(canaries), []);
  assert.equal(existsSync(t), false);
  assert.ok(lstatSync(host).isDirectory());
});

test('a symlink given as the target is refused (callers pass real paths)', async () => {
  const host = `${scratch}/host-2`;
  const canaries = writeCanaries(host);
  symlinkSync(host, `${scratch}/to-host`);
  const r = await deleteTree(`${scratch}/to-host`);
  assert.match(r.refused ?? '', /symlink/);
  assert.deepEqual(brokenCanaries(canaries), []);
  const m = await moveAside(`${scratch}/to-host`);
  assert.equal(m.ok, false);
  assert.ok(lstatSync(`${scratch}/to-host`).isSymbolicLink());
});

test('a tree 5000 folders deep (far beyond PATH_MAX) goes completely', async () => {
  const t = fresh();
  makeDeepChain(t, 5000, 'd');
  const size = await treeSize(t);
  assert.equal(size.dirs, 5000);
  assert.equal(size.files, 51);
  const r = await deleteTree(t);
  assert.equal(r.complete, true, JSON.stringify([r.errors.slice(0, 3), r.skipped.slice(0, 3)]));
  assert.equal(r.deletedDirs, 5001);
  assert.equal(r.deletedFiles, 51);
  assert.equal(existsSync(t), false);
});

test('long names: paths over 12 KB deep', async () => {
  const t = fresh();
  makeDeepChain(t, 50, 'n'.repeat(250));
  const r = await deleteTree(t);
  assert.equal(r.complete, true, JSON.stringify(r.errors.slice(0, 3)));
  assert.equal(r.deletedDirs, 51);
  assert.equal(existsSync(t), false);
});

test('the walker stops at a folder named as a mount point: it and its ancestors stay', async () => {
  const t = fresh();
  makeTree(t, 5, 10);
  const mp = `${t}/g1/d1/bound`;
  const canaries = writeCanaries(mp);
  writeFileSync(`${t}/g1/d1/sibling`, 'x');
  const r = await deleteTree(t, { mountPoints: new Set([mp]) });
  assert.equal(r.complete, false);
  assert.deepEqual(r.skipped, [{ path: mp, reason: 'mount point (mountinfo)' }]);
  assert.deepEqual(brokenCanaries(canaries), []);
  assert.equal(existsSync(`${t}/g1/d1/sibling`), false, 'everything else went');
  assert.equal(existsSync(`${t}/g2`), false);
  assert.equal(await countEntries(t), 4 + canaries.size, 't, g1, d1, bound and the canaries remain');
});

test('refuses /, top-level folders, relative and non-canonical paths; nothing happens', async () => {
  for (const p of ['/', '/tmp', '/home', 'tmp/x', `${scratch}/../x`, `${scratch}/`, '']) {
    const r = await deleteTree(p);
    assert.ok(r.refused, `refused ${JSON.stringify(p)}`);
    assert.equal(r.deletedFiles + r.deletedDirs, 0);
    assert.equal((await moveAside(p)).ok, false);
  }
  assert.ok(existsSync(scratch));
});

test('a pseudo file system is refused', async () => {
  assert.equal(await statfsType('/proc/self'), 'proc');
  assert.equal(fsTypeName(0x62656572), 'sysfs');
  assert.equal(fsTypeName(0xde5e81e4), 'efivarfs');
  for (const t of [
    'proc',
    'sysfs',
    'cgroup',
    'cgroup2',
    'efivarfs',
    'devtmpfs',
    'devpts',
    'debugfs',
    'tracefs',
    'securityfs',
    'pstore',
    'bpf',
    'configfs',
    'fusectl',
    'mqueue',
    'hugetlbfs',
    'binfmt_misc',
  ]) {
    assert.equal(isPseudoFs(t), true, t);
  }
  assert.equal(isPseudoFs('ext4'), false);
  assert.equal(isPseudoFs('tmpfs'), false);
  // Unlinking in procfs fails anyway, so this refusal is safe to exercise on the host's /proc.
  const r = await deleteTree('/proc/driver');
  assert.match(r.refused ?? '', /pseudo file system \(proc/);
  assert.ok(existsSync('/proc/driver'));
});

test('a missing tree counts as deleted (idempotent)', async () => {
  const r = await deleteTree(`${scratch}/never-there`);
  assert.equal(r.complete, true);
  assert.equal(r.deletedFiles + r.deletedDirs, 0);
});

test('moveAside renames atomically to a trash sibling, and a journal records it first', async () => {
  const t = fresh();
  makeTree(t, 2, 3);
  const m = await moveAside(t, `${scratch}/journal`);
  assert.equal(m.ok, true);
  assert.ok(m.trashPath);
  assert.equal(existsSync(t), false);
  assert.ok(existsSync(`${m.trashPath}/g0/d0/f0`));
  assert.ok(isTrashName(m.trashPath.split('/').pop() ?? ''));
  assert.equal(m.trashPath.startsWith(`${scratch}/.`), true, 'same folder');
  const { listUnfinished } = await import('../../src/host/guard/journal.js');
  const un = await listUnfinished(`${scratch}/journal`);
  assert.deepEqual(
    un.map((u) => [u.target, u.pending[0]?.data.to]),
    [[t, m.trashPath]],
  );
  assert.equal((await deleteTree(m.trashPath)).complete, true);
  assert.ok(
    isTrashName(
      trashPathFor(`${scratch}/${'x'.repeat(255)}`)
        .split('/')
        .pop() ?? '',
    ),
  );
  assert.ok(
    (
      trashPathFor(`${scratch}/${'x'.repeat(255)}`)
        .split('/')
        .pop() ?? ''
    ).length <= 255,
  );
  assert.equal(readFileSync(un[0]?.file ?? '', 'utf8').includes('"kind":"begin"'), true);
});
