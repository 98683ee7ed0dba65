import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sampler } from '../../agents/monitor/sampler.js';
import { createSampleBuffer } from '../../agents/monitor/ring.js';

test('a sample has host figures, every readable disk, the temp dir and the build tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoswarm-test-sampler-'));
  writeFileSync(join(dir, 'f'), 'hello');
  const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
  const sampler = new Sampler({
    diskPaths: ['/', join(dir, 'missing')],
    tempDir: dir,
    buildPid: child.pid!,
    temp: { checkIntervalMs: 0 },
  });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const s = sampler.sample(12345);
    assert.equal(s.at, 12345);
    assert.ok(s.cpuPct >= 0 && s.cpuPct <= 100);
    assert.ok(s.memPct > 0 && s.memPct < 100 && s.memUsedBytes > 0);
    assert.ok(s.load1 >= 0);
    assert.equal(s.disks.length, 1);
    assert.equal(s.disks[0]?.path, '/');
    assert.ok(s.disks[0]!.freeBytes > 0);
    assert.match(s.errors?.[0] ?? '', /missing: ENOENT/);
    assert.deepEqual([s.temp?.path, s.temp?.files, s.temp?.complete], [dir, 1, true]);
    assert.equal(s.build?.pid, child.pid);
    assert.equal(s.build?.procs, 2);
    assert.ok(s.build!.rssBytes > 0 && s.build!.alive);

    // JSON-safe (it goes over the bus) and fits the per-run buffer.
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    const buf = createSampleBuffer(4);
    for (let i = 0; i < 10; i++) buf.push(sampler.sample());
    assert.ok(buf.toArray().length <= 5);

    sampler.setBuildPid(null);
    assert.equal(sampler.sample().build, undefined);
  } finally {
    sampler.close();
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sampling costs well under a millisecond of CPU per call (small temp dir, small build tree)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoswarm-test-sampler-'));
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, `f${i}`), 'x');
  const sampler = new Sampler({ diskPaths: ['/', dir], tempDir: dir, buildPid: process.pid });
  try {
    for (let i = 0; i < 20; i++) sampler.sample();
    const c0 = process.cpuUsage();
    const N = 200;
    for (let i = 0; i < N; i++) sampler.sample();
    const c = process.cpuUsage(c0);
    const perCallMs = (c.user + c.system) / 1000 / N;
    console.log(`# sampler CPU per call: ${perCallMs.toFixed(3)} ms`);
    assert.ok(perCallMs < 1, `${perCallMs} ms per sample`);
  } finally {
    sampler.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
