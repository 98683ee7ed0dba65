// The load-aware build-time model: wall = calibrated CPU / the parallelism the load leaves, with the
// slowdown fitted from the host's measured builds; and its history, the error shrinking over runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitSlowdown,
  loadExcess,
  predictWall,
  PRIOR,
  usableProcessors,
  type LoadObservation,
} from '../../src/learning/wall-model.js';
import { calibrate, calibrationHistory, estimateWall, type LoadPair } from '../../src/learning/wall-calibration.js';
import { explainEntry, formatExplained } from '../../src/learning/explain.js';

const idle = { nproc: 2, load1: 0, stealShare: 0 };

test('no load: the wall time is the CPU time over the processors asked, never faster', () => {
  assert.equal(predictWall(4000, 2, idle, PRIOR).wallMs, 2000);
  assert.equal(predictWall(4000, 8, idle, PRIOR).wallMs, 2000, 'eight processors asked on two CPUs use two');
  assert.equal(predictWall(4000, 1, idle, PRIOR).wallMs, 4000);
  // A fit below 1 (a build that parallelized better than its sample) still never promises more than ideal.
  assert.equal(predictWall(4000, 2, idle, { a: 0.6, b: 0, weight: 3 }).wallMs, 2000);
});

test('load and steal: fair sharing under the prior, steal takes CPUs away', () => {
  // Load 6 on 2 CPUs plus 2 threads: each thread gets 2/8 of a CPU, the build 4x slower than ideal.
  const p = predictWall(4000, 2, { nproc: 2, load1: 6, stealShare: 0 }, PRIOR);
  assert.equal(p.excess, 3);
  assert.equal(p.slowdown, 4);
  assert.equal(p.wallMs, 8000);
  assert.equal(p.effParallelism, 0.5);
  assert.equal(usableProcessors(4, { nproc: 4, load1: 0, stealShare: 0.5 }), 2);
  assert.equal(loadExcess(4, { nproc: 4, load1: 0, stealShare: 0.5 }), 0);
  assert.equal(loadExcess(4, { nproc: 4, load1: 2, stealShare: 0.5 }), 1);
});

function obs(x: number, s: number, weight = 1): LoadObservation {
  // On 2 CPUs with 2 processors the excess is load1/2; wall = cpu/2 * s.
  return { cpuMs: 10_000, wallMs: 5000 * s, processors: 2, nproc: 2, load1: x * 2, stealShare: 0, weight };
}

test('the slowdown fit recovers a host that shares less than fair (cgroups, I/O-bound load)', () => {
  // This host: s = 1.1 + 0.2·x (its load average overstates the competition for CPU).
  const fit = fitSlowdown([0, 2, 5, 8, 12].map((x) => obs(x, 1.1 + 0.2 * x)));
  assert.ok(Math.abs(fit.a - 1.1) < 0.1, `a ${fit.a}`);
  assert.ok(Math.abs(fit.b - 0.2) < 0.03, `b ${fit.b}`);
  assert.equal(fit.weight, 5);
  assert.deepEqual(fitSlowdown([]), PRIOR, 'no observations: the fair-share prior');
  // One build at high load: the prediction at that load lands near it, not at the prior's 8.5x.
  const one = fitSlowdown([obs(7.5, 1.5)]);
  const at = predictWall(10_000, 2, { nproc: 2, load1: 15, stealShare: 0 }, one);
  assert.ok(Math.abs(at.slowdown - 1.5) / 1.5 < 0.1, `slowdown ${at.slowdown} after one pair at 1.5`);
  // Nonsense observations (no CPU measured, zero weight) do not move the prior.
  assert.deepEqual(fitSlowdown([{ ...obs(3, 2), cpuMs: 0 }, obs(3, 2, 0)]), PRIOR);
});

function pair(i: number, load1: number, host: { cpu: number; a: number; b: number }): LoadPair {
  const predictedCpuMs = 4000;
  const cpuMs = predictedCpuMs * host.cpu;
  const x = loadExcess(2, { nproc: 2, load1, stealShare: 0 });
  return {
    label: 'zstd-3-b1M/p2',
    comp: 'zstd',
    at: `2026-12-01T00:0${i}:00.000Z`,
    measuredMs: Math.round((cpuMs / 2) * (host.a + host.b * x)),
    cpuMs,
    predictedCpuMs,
    processors: 2,
    nproc: 2,
    load1,
    stealShare: 0,
  };
}

test('calibration: CPU factor from measured CPU, and the error shrinks over runs at changing load', () => {
  const host = { cpu: 1.3, a: 1.05, b: 0.12 };
  const pairs = [15, 22, 9, 30, 44, 18].map((l, i) => pair(i, l, host));
  const cal = calibrate(pairs, 'zstd');
  assert.equal(cal.cpuFactor, 1.3);
  assert.equal(cal.loadPairs, 6);
  // A build at a load none of the pairs saw: within 5 % of what this host does.
  const e = estimateWall(4000, 2, { nproc: 2, load1: 36, stealShare: 0 }, cal);
  const truth = pair(9, 36, host).measuredMs;
  assert.ok(Math.abs(e.wallMs - truth) / truth < 0.05, `predicted ${e.wallMs}, host ${truth}`);
  assert.equal(e.cpuMs, 5200, 'the CPU prediction is reported calibrated');
  const h = calibrationHistory(pairs);
  assert.equal(h.length, 6);
  assert.equal(h[0]?.earlierPairs, 0);
  assert.ok((h[0]?.replayError ?? 0) > 0.5, `the prior alone is far off on this host (${h[0]?.replayError})`);
  for (const r of h.slice(2)) assert.ok(r.replayError < 0.1, `after two pairs: ${r.replayError} at load ${r.load1}`);
  // Another compressor's CPU factor falls back to all pairs'.
  assert.equal(calibrate(pairs, 'xz').cpuFactor, 1.3);
});

test('patterns explain shows the pairs with CPU and load, and the calibration error per run', () => {
  const host = { cpu: 1.2, a: 1, b: 0.1 };
  const pairs = [15, 30, 44].map((l, i) => ({
    ...pair(i, l, host),
    predictedMs: 3000,
    predictedBytes: 1,
    measuredBytes: 1,
    source: 'test',
    predictedWallMs: 3000,
  }));
  const e = explainEntry(
    'optimization/parallel-config/h1/time-calibration',
    { fingerprintId: 'h1', pairs, choice: null, candidates: [], measuredAt: 'x' },
    'x',
    undefined,
  );
  assert.match(e.summary, /3 measured-vs-predicted pairs, 3 with CPU and load; model error \d+ % -> \d+ % -> \d+ %/);
  assert.equal(e.calibrationHistory?.length, 3);
  const text = formatExplained(e).join('\n');
  assert.match(text, /CPU predicted 4\.00 s, measured 4\.80 s/);
  assert.match(text, /calibration error over runs/);
  assert.match(
    text,
    /at load 44\.0: measured .* reported then 3\.00 s \(\d+ % off\); model on the 2 earlier pair\(s\)/,
  );
  const last = e.calibrationHistory?.at(-1);
  const first = e.calibrationHistory?.[0];
  assert.ok(last && first && last.replayError < first.replayError, 'the error shrinks');
});

test("the run report's mksquashfs section shows predicted and measured wall and CPU, and the load", async () => {
  const { squashfsCallsMd } = await import('../../src/report/md-squashfs.js');
  const lines = squashfsCallsMd(
    [
      {
        asked: ['/c', '/i.img'],
        ran: ['/c', '/i.img', '-comp', 'zstd'],
        policy: 'override',
        changed: [],
        tuned: null,
        predicted: {
          label: 'zstd-3-b1M/p2',
          buildMs: 3000,
          imageBytes: 100,
          wall: { cpuMs: 5000, load1: 15.2, nproc: 2, processors: 2, effParallelism: 1.667 },
        },
        whatIf: null,
        measured: { wallMs: 3300, cpuMs: 5400, imageBytes: 100, exitCode: 0 },
        cacheSuspended: [],
      },
    ],
    (v) => `\`${String(v)}\``,
    String,
  ).join('\n');
  assert.match(lines, /predicted 3\.00 s, measured 3\.30 s/);
  assert.match(lines, /CPU predicted 5\.00 s, measured 5\.40 s/);
  assert.match(lines, /wall predicted for load 15\.2 on 2 CPU\(s\): 1\.667 of 2 processor\(s\) effective/);
});
