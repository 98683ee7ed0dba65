// A disk that filled during a build is remembered with how much the build used on it. The baseline is
// the free space pre-task found on the chroot's file system when the alert is about that disk: on a
// loaded host the first sample can come after the build already filled it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFailureLessons } from '../../src/run/run-lessons.js';
import type { RunRecordInput } from '../../src/schemas/run-record.js';

function record(fsMount?: string): RunRecordInput {
  return {
    runId: 'fill-1',
    events: [{ kind: 'alert', metric: 'disk', subject: '/srv', value: 97, threshold: 95 }],
    // Both samples were taken after the build wrote its 3,000 bytes.
    samples: [{ disks: [{ path: '/srv', freeBytes: 1_000 }] }, { disks: [{ path: '/srv', freeBytes: 900 }] }],
    checkpoint: { mountsTotal: 3, mountsUnderChroot: [], freeBytes: 4_000, ...(fsMount ? { fsMount } : {}) },
  } as unknown as RunRecordInput;
}

const grew = (r: RunRecordInput) =>
  (runFailureLessons(r, 'fill', '/srv/build/chroot', null)[0] as unknown as { entry: { grewBytes: number } }).entry
    .grewBytes;

test('the disk the chroot is on: grown from the free space before the build', () => {
  assert.equal(grew(record('/srv')), 3_100);
});

test('another disk, or a record without the mount: grown from its first sample', () => {
  assert.equal(grew(record('/')), 100);
  assert.equal(grew(record()), 100);
});

test('with --tmpfs-workdir the checkpoint is of the disk under the tmpfs: grown from the first sample', () => {
  assert.equal(grew({ ...record('/srv'), tmpfs: { sizeBytes: 1 } } as unknown as RunRecordInput), 100);
});
