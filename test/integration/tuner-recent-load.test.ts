// Real processes: other work that keeps the CPUs busy while a squashfs call is decided slows the
// predicted build, read from /proc/stat marks the tuner keeps; the window starts after the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMark, startCpuHistory, stopCpuHistory } from '../../src/host/proc/cpu-recent.js';
import { onlineProcessors } from '../../src/host/proc/cpu-contention.js';
import { calibrate, estimateWall } from '../../src/learning/wall-calibration.js';
import { loadSeen } from '../../agents/performance-tuner/load-seen.js';

const spin = () => spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });

function stop(children: ChildProcess[]): Promise<unknown> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve(null);
          c.once('exit', resolve);
          c.kill('SIGKILL');
        }),
    ),
  );
}

test('a real busy process during the decision slows the prediction', async () => {
  const n = onlineProcessors();
  const children: ChildProcess[] = [];
  startCpuHistory();
  try {
    for (let i = 0; i < n; i++) children.push(spin());
    // The caller (the shim's stand-in) starts while the others are already busy.
    const caller = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(caller);
    const callerStart = performance.now();
    await sleep(1200);
    const mark = cpuMark();
    const seen = loadSeen(mark, n, { callerPid: caller.pid as number });
    const r = seen.recent;
    assert.ok(r, 'a window after the caller started is known');
    assert.ok(
      r.windowMs <= performance.now() - callerStart + 20,
      `the window (${r.windowMs} ms) starts after the caller`,
    );
    assert.ok(r.windowMs >= 500, `marks every 250 ms give a window of most of the wait: ${r.windowMs} ms`);
    // n busy loops on n CPUs (and whatever else runs here): at least most of the CPUs are others'.
    assert.ok(r.load >= 0.6 * n, `other work ${r.load} CPU(s) on ${n}`);
    const cal = calibrate([], 'zstd', [], 'recent');
    const quiet = estimateWall(4000, n, { nproc: n, load1: 0, stealShare: 0 }, cal);
    const now = estimateWall(4000, n, { nproc: n, load1: r.load, stealShare: seen.stealShare }, cal);
    assert.ok(now.wallMs >= quiet.wallMs * 1.5, `predicted ${now.wallMs} ms beside ${quiet.wallMs} ms when quiet`);
  } finally {
    await stop(children);
    stopCpuHistory();
  }
});

test("a busy phase before the caller started is outside the window; the caller's own CPU is left out", async () => {
  const n = onlineProcessors();
  const children: ChildProcess[] = [];
  startCpuHistory();
  try {
    const phase = Array.from({ length: n }, spin);
    children.push(...phase);
    await sleep(1000);
    await stop(phase);
    // The build's next step: a process that itself burns a little CPU, then waits for the answer.
    const caller = spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60'], {
      stdio: 'ignore',
    });
    children.push(caller);
    const callerStart = performance.now();
    await sleep(800);
    const seen = loadSeen(cpuMark(), n, { callerPid: caller.pid as number });
    const r = seen.recent;
    assert.ok(r, 'a window after the caller started is known');
    assert.ok(r.windowMs <= performance.now() - callerStart + 20, `window ${r.windowMs} ms`);
    assert.ok(r.callerMs >= 0 && r.selfMs >= 0);
    // Without the caller the last 3 s reach back into the busy phase.
    const blind = loadSeen(cpuMark(), n).recent;
    assert.ok(blind && blind.windowMs > r.windowMs + 500, `the blind window ${blind?.windowMs} ms is longer`);
  } finally {
    await stop(children);
    stopCpuHistory();
  }
});
