// A run that keeps its chroot refuses before the build when a tmpfs or ramfs from before the run is at
// or under the chroot (the teardown's unmount would drop its files); other runs and other mounts go on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryPreMounts, refuseKeepOverMemoryMounts } from '../../src/run/keep-memory-mounts.js';
import { RunRefusal } from '../../src/run/tmpfs-workdir.js';
import { preMountNotes, markPreMounts } from '../../src/report/pre-mounts.js';

const C = '/srv/chroot';
const tmpfs = { mountPoint: C, fsType: 'tmpfs', source: 'userfs', root: '/' };
const repo = { mountPoint: `${C}/srv/repo`, fsType: 'ext4', source: '/dev/sda1', root: '/home/u/repo' };
const cp = (info: (typeof tmpfs)[]) => ({
  mountsTotal: 30,
  mountsUnderChroot: info.map((m) => m.mountPoint),
  mountsUnderChrootInfo: info,
  freeBytes: null,
});

test('only memory file systems count', () => {
  assert.deepEqual(memoryPreMounts(cp([tmpfs, repo])), [tmpfs]);
  assert.deepEqual(memoryPreMounts({ mountsTotal: 1, mountsUnderChroot: [C], freeBytes: null }), []);
});

test('kept: refused with the mount named, exit kind refused', () => {
  assert.throws(
    () => refuseKeepOverMemoryMounts(cp([tmpfs, repo]), C, '--keep'),
    (e: unknown) =>
      e instanceof RunRefusal &&
      e.kind === 'refused' &&
      e.message.startsWith(`--keep: refusing to keep ${C}: ${C} (tmpfs userfs) was mounted there before the run`) &&
      !e.message.includes('/srv/repo') &&
      e.message.endsWith('nothing was changed'),
  );
  assert.throws(() => refuseKeepOverMemoryMounts(cp([tmpfs]), C, '--keep-on-failure'), RunRefusal);
});

test('not kept, or no memory mount: the run goes on', () => {
  refuseKeepOverMemoryMounts(cp([tmpfs]), C, null);
  refuseKeepOverMemoryMounts(cp([repo]), C, '--keep');
  refuseKeepOverMemoryMounts(cp([]), C, '--keep');
});

test('a tmpfs from before the run that the teardown took: the notes say its files went with it', () => {
  const notes = preMountNotes(markPreMounts(cp([tmpfs]), { unmounted: [C], attempts: [] }));
  assert.ok(
    notes.includes(`the files on ${C} (tmpfs userfs) lived in memory and went with the unmount`),
    notes.join('\n'),
  );
});
