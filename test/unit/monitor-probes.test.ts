import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statfsSync, symlinkSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  cpuPercent,
  fieldNumber,
  readCpuTimes,
  readDiskUsage,
  readLoadAvg,
  readMemory,
  readPidStat,
  readProcIo,
  readProcRss,
} from '../../src/host/proc/probes.js';
import { runOk, which } from '../../src/host/exec.js';

const TMPFS_MAGIC = 0x01021994;

test('cpu: a busy loop on one core shows up in the host-wide busy share', () => {
  const a = readCpuTimes();
  const end = performance.now() + 300;
  while (performance.now() < end) {
    /* burn one core */
  }
  const b = readCpuTimes();
  const pct = cpuPercent(a, b);
  assert.ok(b.total > a.total && b.busy >= a.busy);
  assert.ok(pct >= 50 / cpus().length && pct <= 100, `busy ${pct.toFixed(1)} % on ${cpus().length} cpus`);
  assert.equal(cpuPercent(b, b), 0);
});

test('memory: total agrees with the OS, used = total - available', () => {
  const m = readMemory();
  assert.equal(m.totalBytes, totalmem());
  assert.equal(m.usedBytes, m.totalBytes - m.availableBytes);
  assert.ok(m.usedPct > 0 && m.usedPct < 100);
});

test('load: agrees with os.loadavg and reports the last PID', () => {
  const l = readLoadAvg();
  assert.ok(Math.abs(l.load1 - loadavg()[0]!) < 0.5);
  assert.ok(l.lastPid > 0);
});

test('disk: statfs figures agree with df', async (t) => {
  if (!(await which('df'))) return t.skip('df not installed');
  const d = readDiskUsage('/');
  const out = (await runOk('df', ['-B1', '--output=size,used,avail,pcent', '/'])).stdout.trim().split('\n')[1]!;
  const [size, used, avail, pcent] = out.trim().split(/\s+/);
  const slack = 64 * 1024 * 1024; // the disk may be written to between the two readings
  assert.ok(Math.abs(d.totalBytes - Number(size)) <= slack);
  assert.ok(Math.abs(d.usedBytes - Number(used)) <= slack);
  assert.ok(Math.abs(d.freeBytes - Number(avail)) <= slack);
  // df rounds its Use% up.
  assert.ok(Math.abs(Math.ceil(d.usedPct) - parseInt(pcent!, 10)) <= 1, `${d.usedPct} vs ${pcent}`);
  assert.throws(() => readDiskUsage('/nonexistent-isoswarm-path'));
});

test('one process: stat parses a comm with spaces and parentheses; rss and io of this process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoswarm-test-probes-'));
  const sleep = (await which('sleep'))!;
  const odd = join(dir, 'a b) (c');
  symlinkSync(sleep, odd);
  const child = spawn(odd, ['30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    let s = readPidStat(child.pid!);
    for (let i = 0; i < 50 && s?.comm !== 'a b) (c'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      s = readPidStat(child.pid!);
    }
    assert.equal(s?.comm, 'a b) (c');
    assert.equal(s?.ppid, process.pid);
    assert.ok(s!.startTime > 0 && s!.cpuTicks >= 0);

    const self = readPidStat(process.pid)!;
    assert.equal(self.ppid, process.ppid);
    const rss = readProcRss(process.pid);
    const nodeRss = process.memoryUsage().rss;
    assert.ok(Math.abs(rss - nodeRss) < nodeRss * 0.25, `${rss} vs ${nodeRss}`);

    const before = readProcIo(process.pid)!;
    const fd = openSync(join(dir, 'data'), 'w');
    const chunk = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 4; i++) writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    const after = readProcIo(process.pid)!;
    if (statfsSync(dir).type === TMPFS_MAGIC) assert.ok(after.writeBytes >= before.writeBytes);
    else assert.ok(after.writeBytes - before.writeBytes >= 4 << 20, `${after.writeBytes - before.writeBytes}`);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(readPidStat(2 ** 22 + 12345), null);
});

test('fieldNumber finds a key at a line start only', () => {
  const text = 'MemTotal:  100 kB\nXMemFree: 5 kB\nMemFree:   42 kB\n';
  assert.equal(fieldNumber(text, 'MemTotal:'), 100);
  assert.equal(fieldNumber(text, 'MemFree:'), 42);
  assert.equal(fieldNumber(text, 'Swap:'), null);
});
