// Where a path lies in its file system, from mountinfo entries: the mount a path reaches (the deepest,
// the top one of a stack, never one hidden under a later mount), a bind of a subfolder, and which
// places are the same files or hold one another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fsPlace, mountOf, samePlaceOrNested } from '../../src/host/mounts/fs-place.js';
import type { MountEntry } from '../../src/host/mounts/mountinfo.js';

let nextId = 1;
function m(mountPoint: string, dev: string, root = '/', parentId = 1): MountEntry {
  const [major, minor] = dev.split(':').map(Number) as [number, number];
  return {
    id: nextId++,
    parentId,
    major,
    minor,
    root,
    mountPoint,
    options: 'rw',
    optionalFields: [],
    fsType: 'ext4',
    source: 'x',
    superOptions: 'rw',
  };
}

/** The root file system and /srv on a disk of its own, numbered afresh. */
function hostMounts(): [MountEntry, MountEntry] {
  nextId = 1;
  const root = m('/', '8:1', '/', 0);
  return [root, m('/srv', '8:2', '/', root.id)];
}

test('the mount a path reaches: deepest, top of a stack, not one hidden under a later mount', () => {
  const [root, srv] = hostMounts();
  const under = m('/mnt/x', '0:40', '/', root.id);
  const over = m('/mnt/x', '0:41', '/', under.id);
  const hiddenParent = m('/opt', '0:50', '/', root.id);
  const hidden = m('/opt/in', '0:51', '/', hiddenParent.id);
  const cover = m('/opt', '0:52', '/', root.id);
  const all = [root, srv, under, over, hiddenParent, hidden, cover];
  assert.equal(mountOf('/srv/build/chroot', all)?.id, srv.id);
  assert.equal(mountOf('/srvx', all)?.id, root.id, 'by component, not by string prefix');
  assert.equal(mountOf('/mnt/x/a', all)?.id, over.id, 'the mount on top of the stack');
  assert.equal(mountOf('/mnt/x/a', [over, under, root])?.id, over.id, 'whatever the order of the lines');
  assert.equal(mountOf('/opt/in/a', all)?.id, cover.id, 'a mount hidden under a later one is not reached');
});

test('a bind of a subfolder: the same files under two names, by their place in the file system', () => {
  const [root, srv] = hostMounts();
  const bind = m('/mnt/b', '8:2', '/build', root.id);
  const tmp = m('/tmp', '0:30', '/', root.id);
  const all = [root, srv, bind, tmp];
  assert.deepEqual(fsPlace('/srv/build/chroot', all), { dev: '8:2', fsPath: '/build/chroot' });
  assert.deepEqual(fsPlace('/mnt/b/chroot', all), { dev: '8:2', fsPath: '/build/chroot' });
  assert.deepEqual(fsPlace('/mnt/b', all), { dev: '8:2', fsPath: '/build' });
  assert.deepEqual(fsPlace('/srv', all), { dev: '8:2', fsPath: '/' });
  const p = (x: string) => fsPlace(x, all);
  assert.ok(samePlaceOrNested(p('/mnt/b/chroot'), p('/srv/build/chroot')), 'the same tree');
  assert.ok(samePlaceOrNested(p('/mnt/b'), p('/srv/build/chroot')), 'a dir around it');
  assert.ok(samePlaceOrNested(p('/mnt/b/chroot/var'), p('/srv/build/chroot')), 'a dir inside it');
  assert.ok(!samePlaceOrNested(p('/mnt/b/other'), p('/srv/build/chroot')), 'a dir beside it');
  assert.ok(!samePlaceOrNested(p('/srv/buildx'), p('/srv/build')), 'by component');
  assert.ok(!samePlaceOrNested(p('/tmp/build/chroot'), p('/srv/build/chroot')), 'another file system');
  assert.equal(samePlaceOrNested(null, p('/srv')), false, 'an unknown place is no match');
});
