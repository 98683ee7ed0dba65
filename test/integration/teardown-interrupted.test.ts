// SIGTERM and SIGKILL at each step of a teardown, then a second run: it completes and the host is
// intact (canaries, /dev/null, the host's mount table, processes outside the chroot).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { listLoopDevices } from '../../src/host/mounts/loop-devices.js';
import { mountsUnder, readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { readJournal, journalFile } from '../../src/host/guard/journal.js';
import {
  bindHost,
  canariesIntact,
  debootstrapMounts,
  isRunning,
  makeImage,
  mount,
  startProcess,
  waitRooted,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { hostSnapshot } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { teardown } from '../helpers/unmounter-run.js';

const CHILD = fileURLToPath(new URL('../helpers/teardown-child.js', import.meta.url));

const POINTS = [
  'begin:terminate',
  'done:terminate',
  'begin:unmount',
  'attempt:1',
  'attempt:4',
  'attempt:8',
  'done:unmount',
  'begin:detach-loop',
  'begin:verify',
];

function runChild(args: string[]): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('a teardown interrupted at each step is finished by the next run', { skip: needsRoot() }, () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    for (const point of POINTS) {
      test(`${signal} at ${point}`, async () => {
        await withFixture(`intr-${signal}-${point.replace(':', '-')}`, async (fx) => {
          const before = hostSnapshot();
          const hostDir = `${fx.scratch}/host-apt-cache`;
          mkdirSync(hostDir);
          writeCanary(fx, `${hostDir}/keep.deb`);
          await debootstrapMounts(fx.chroot);
          await bindHost(hostDir, `${fx.chroot}/var/cache/apt`);
          // A loop device set up for an image inside the chroot (detached by the teardown).
          const img = await makeImage(`${fx.chroot}/tmp/disk.img`, 'ext2', 4);
          const loop = (await runOk('losetup', ['-f', '--show', img])).stdout.trim();
          // An image mounted through its own loop device.
          const img2 = await makeImage(`${fx.chroot}/tmp/mnt.img`, 'ext2', 4);
          mkdirSync(`${fx.chroot}/mnt/img`, { recursive: true });
          await mount('-o', 'loop', img2, `${fx.chroot}/mnt/img`);
          const daemon = startProcess(fx, 'chroot', [fx.chroot, '/usr/bin/sleep', '1000']);
          await waitRooted(daemon, fx.chroot);
          const outsider = startProcess(fx, 'sleep', ['1000']);

          const journalDir = mkdtempSync('/tmp/isoswarm-test-journal-');
          try {
            const r = await runChild([fx.chroot, fx.scratch, point, signal, journalDir]);
            assert.equal(r.signal, signal, `the child was not stopped by ${signal} at ${point}: ${r.out}`);
            const j = await readJournal(journalFile(journalDir, fx.chroot));
            assert.ok(j.pending.length > 0 || point.startsWith('done:'), `no unfinished step journalled at ${point}`);
            // The next run completes.
            const second = await teardown(fx);
            assert.equal(second.result.status, 'done', second.result.reason);
            assert.deepEqual(mountsUnder(await readMountinfo(), fx.chroot), []);
            assert.ok(!(await listLoopDevices()).some((l) => l.name === loop), `${loop} still attached`);
            assert.ok(!isRunning(daemon), 'the daemon inside the chroot survived');
            assert.ok(isRunning(outsider), 'a process outside the chroot was killed');
            assert.deepEqual(canariesIntact(fx), []);
            const after = hostSnapshot();
            assert.deepEqual(after.hostMounts, before.hostMounts);
            assert.equal(after.devNullRdev, before.devNullRdev);
          } finally {
            rmSync(journalDir, { recursive: true, force: true });
          }
        });
      });
    }
  }
});
