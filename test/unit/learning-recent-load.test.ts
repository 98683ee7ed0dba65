// The load a squashfs decision reads: the other work of the seconds before the call (marks of
// /proc/stat), not the 1-minute average that still carries the build's own finished phases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recentLoadFrom, type CpuMark } from '../../src/host/proc/cpu-recent.js';
import { calibrate, calibrationHistory, estimateWall, type LoadPair } from '../../src/learning/wall-calibration.js';
import { loadExcess } from '../../src/learning/wall-model.js';

/**
 * Marks every 250 ms on 2 CPUs (25 ticks each per mark): `busyAt(ms)` CPUs busy with work other than
 * this process during the 250 ms before `ms`, `selfAt(ms)` ticks of this process in it (the tuner's
 * answer and, busy but not its own, the caller's 5 ticks in the last 250 ms).
 */
function marks(untilMs: number, busyAt: (ms: number) => number, selfAt: (ms: number) => number = () => 0): CpuMark[] {
  const out: CpuMark[] = [];
  let total = 0;
  let idle = 0;
  let selfTicks = 0;
  for (let ms = 0; ms <= untilMs; ms += 250) {
    if (ms > 0) {
      const busy = Math.min(50, Math.round(busyAt(ms) * 25) + selfAt(ms) + (selfAt(ms) ? 5 : 0));
      total += 50;
      idle += 50 - busy;
      selfTicks += selfAt(ms);
    }
    out.push({ ms, total, idle, steal: 0, procsRunning: 1 + Math.round(busyAt(ms)), selfTicks });
  }
  return out;
}

// The build's own apt phase keeps both CPUs busy until 2.0 s; the shim (the caller) starts at 2.1 s,
// the tuner answers between 2.4 and 2.5 s (5 ticks of its own).
const ownPhase = (ms: number) => (ms <= 2000 ? 2 : 0);
const tunerSelf = (ms: number) => (ms === 2500 ? 5 : 0);

test('a build right after a busy phase of its own: the window starts after the caller, no other work', () => {
  const m = marks(2500, ownPhase, tunerSelf);
  const now = m.at(-1) as CpuMark;
  const r = recentLoadFrom(m.slice(0, -1), now, { startMs: 2100, ticks: 8 }, { nproc: 2 });
  assert.ok(r);
  assert.equal(r.windowMs, 250, 'from the first mark after the caller started');
  assert.equal(r.load, 0);
  assert.equal(r.selfMs, 50, "the tuner's own CPU is left out");
  // Without knowing the caller the last 3 s include the build's own phase: it would count as load.
  const blind = recentLoadFrom(m.slice(0, -1), now, null, { nproc: 2 });
  assert.ok(blind && blind.load > 1.2, `the build's own phase seen as other work: ${blind?.load}`);
});

test('other work that goes on while the call is decided counts, the caller and the tuner do not', () => {
  // One CPU busy with someone else's work all along, plus the build's own phase until 2.0 s.
  const m = marks(2500, (ms) => 1 + (ms <= 2000 ? 1 : 0), tunerSelf);
  const now = m.at(-1) as CpuMark;
  const r = recentLoadFrom(m.slice(0, -1), now, { startMs: 2100, ticks: 8 }, { nproc: 2 });
  assert.ok(r && Math.abs(r.load - 1) < 0.05, `one CPU of other work: ${r?.load}`);
  // Saturated CPUs: the runnable tasks show the demand busy time cannot (3 others on 2 CPUs).
  const full = marks(2500, () => 3);
  const s = recentLoadFrom(full.slice(0, -1), full.at(-1) as CpuMark, null, { nproc: 2 });
  assert.ok(s && s.load > 2.5, `saturated: ${s?.load}`);
  // Too short a window says nothing: the caller falls back to load1.
  assert.equal(recentLoadFrom([], now, null, { nproc: 2 }), null);
});

/** A host where the build's slowdown follows the other work of the last seconds: s = 1.4 + 1·x. */
function pair(i: number, recent: number, load1: number): LoadPair {
  const predictedCpuMs = 1200;
  const x = loadExcess(2, { nproc: 2, load1: recent, stealShare: 0 });
  return {
    label: 'zstd-1-b1M/p2',
    comp: 'zstd',
    at: `2026-12-01T00:0${i}:00.000Z`,
    measuredMs: Math.round((predictedCpuMs / 2) * (1.4 + x)),
    cpuMs: predictedCpuMs,
    predictedCpuMs,
    processors: 2,
    nproc: 2,
    load1,
    stealShare: 0,
    recentLoad: recent,
  };
}

test('prediction: a build after its own busy phase is not slowed down; other work still slows it', () => {
  // load1 is high after each build's own debootstrap and apt phases, whatever the others do.
  const pairs = [
    [0.1, 4.3],
    [1.5, 3.6],
    [0.3, 5.2],
    [0.9, 2.9],
  ].map(([r, l], i) => pair(i, r as number, l as number));
  const cal = calibrate(pairs, 'zstd', [], 'recent');
  const quiet = estimateWall(1200, 2, { nproc: 2, load1: 0, stealShare: 0 }, cal);
  assert.ok(Math.abs(quiet.wallMs - 840) / 840 < 0.05, `this host's quiet build: ${quiet.wallMs} ms`);
  const at = (m: CpuMark[]) => {
    const r = recentLoadFrom(m.slice(0, -1), m.at(-1) as CpuMark, { startMs: 2100, ticks: 8 }, { nproc: 2 });
    assert.ok(r);
    return estimateWall(1200, 2, { nproc: 2, load1: r.load, stealShare: 0 }, cal);
  };
  // After its own busy phase (load1 would still say about 2 more): the quiet prediction.
  assert.equal(at(marks(2500, ownPhase, tunerSelf)).wallMs, quiet.wallMs);
  // Someone else keeps both CPUs busy through the call: slower.
  const busy = at(marks(2500, () => 2, tunerSelf));
  assert.ok(busy.wallMs > quiet.wallMs * 1.5, `two CPUs of other work: ${busy.wallMs} vs ${quiet.wallMs} ms`);
  // The same pairs read by load1: its inflated values carry no signal, the replay misses more.
  const byRecent = calibrationHistory(pairs);
  const byLoad1 = calibrationHistory(pairs.map(({ recentLoad: _r, ...p }) => p));
  const late = (h: typeof byRecent) => Math.max(...h.slice(2).map((r) => r.replayError));
  assert.ok(late(byRecent) < 0.1, `recent: ${late(byRecent)}`);
  assert.ok(late(byLoad1) > late(byRecent) * 2, `load1: ${late(byLoad1)}`);
  assert.equal(byRecent[1]?.basis, 'recent');
  assert.equal(byLoad1[1]?.basis, 'load1');
});

test('the fit reads only pairs whose load was measured the same way; the CPU factor reads all', () => {
  const recent = pair(0, 1, 4);
  const { recentLoad: _r, ...old } = { ...pair(1, 1, 4), cpuMs: 2400 };
  const byRecent = calibrate([recent, old], 'zstd', [], 'recent');
  assert.equal(byRecent.fit.weight, 1);
  assert.equal(byRecent.loadPairs, 2);
  assert.equal(byRecent.cpuFactor, 1, "median of x1, x2 and the sample's own vote x1");
  assert.equal(calibrate([old], 'zstd').cpuFactor, 1.5, 'one build at x2 moves the factor halfway');
  assert.equal(calibrate([recent], 'zstd', [], 'load1').fit.weight, 0, 'the prior alone');
});
