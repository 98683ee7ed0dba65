// A measured mksquashfs call becomes a calibration pair against the prediction before the host's
// time factor: otherwise the next factor would be measured against an already corrected prediction
// and drift back toward 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationKey, timeFactors } from '../../agents/performance-tuner/calibration.js';
import { newCall, reportCall } from '../../agents/performance-tuner/squashfs-calls.js';

test('the pair stores the prediction before the time factor; the factor read back stays the host one', async () => {
  const map = new Map<string, unknown>();
  const memory = { get: (k: string) => map.get(k), set: (k: string, v: unknown) => void map.set(k, v) };
  const call = {
    ...newCall('r1', ['/t', '/o.img', '-comp', 'xz'], 'override', 'auto'),
    // The sample predicted 1000 ms; this host's factor 2 made it 2000 ms; the build took 2000 ms.
    predicted: { label: 'zstd-3-b1M/p2', buildMs: 2000, imageBytes: 10, timeFactor: 2 },
  };
  await reportCall(memory, call, { wallMs: 2000, cpuMs: 1500, imageBytes: 10, exitCode: 0 }, 'host1');
  const rec = map.get(calibrationKey('host1')) as { pairs: { predictedMs: number; measuredMs: number }[] };
  assert.equal(rec.pairs[0]?.predictedMs, 1000);
  assert.equal(timeFactors(rec, 'host1').byComp.zstd?.factor, 2, 'the factor is confirmed, not reset to 1');
  const calls = map.get('runs/r1/squashfs-calls') as { measured: { wallMs: number } }[];
  assert.equal(calls[0]?.measured.wallMs, 2000);
});

test('a call decided by the load model stores its CPU prediction and the load it met as a pair', async () => {
  const map = new Map<string, unknown>();
  const memory = { get: (k: string) => map.get(k), set: (k: string, v: unknown) => void map.set(k, v) };
  const wall = {
    model: 'cpu-load' as const,
    wallMs: 3000,
    usable: 2,
    excess: 7.5,
    slowdown: 1.5,
    effParallelism: 1.333,
    cpuFactor: 1,
    cpuPairs: 0,
    fit: { a: 1, b: 0.067, weight: 0.5 },
    loadPairs: 0,
    rawCpuMs: 4000,
    cpuMs: 4000,
    sampleWallMs: 2500,
    processors: 2,
    nproc: 2,
    load1: 15,
    stealShare: 0.01,
  };
  const call = {
    ...newCall('r2', ['/t', '/o.img', '-comp', 'xz'], 'override', 'auto'),
    predicted: { label: 'zstd-3-b1M/p2', buildMs: 3000, imageBytes: 10, cpuMs: 4000, wall },
  };
  await reportCall(memory, call, { wallMs: 3600, cpuMs: 4400, imageBytes: 10, exitCode: 0 }, 'host1');
  const rec = map.get(calibrationKey('host1')) as { pairs: Record<string, unknown>[] };
  assert.deepEqual(
    {
      predictedMs: rec.pairs[0]?.predictedMs,
      predictedCpuMs: rec.pairs[0]?.predictedCpuMs,
      predictedWallMs: rec.pairs[0]?.predictedWallMs,
      cpuMs: rec.pairs[0]?.cpuMs,
      measuredMs: rec.pairs[0]?.measuredMs,
      processors: rec.pairs[0]?.processors,
      nproc: rec.pairs[0]?.nproc,
      load1: rec.pairs[0]?.load1,
      stealShare: rec.pairs[0]?.stealShare,
    },
    {
      predictedMs: 2500,
      predictedCpuMs: 4000,
      predictedWallMs: 3000,
      cpuMs: 4400,
      measuredMs: 3600,
      processors: 2,
      nproc: 2,
      load1: 15,
      stealShare: 0.01,
    },
  );
});

test('a call decided on the recent other work stores it as the pair the next fit reads on that basis', async () => {
  const map = new Map<string, unknown>();
  const memory = { get: (k: string) => map.get(k), set: (k: string, v: unknown) => void map.set(k, v) };
  const wall = {
    model: 'cpu-load' as const,
    wallMs: 900,
    usable: 2,
    excess: 0.1,
    slowdown: 1.4,
    effParallelism: 1.43,
    cpuFactor: 1,
    cpuPairs: 0,
    fit: { a: 1.3, b: 1, weight: 0.5 },
    loadPairs: 0,
    rawCpuMs: 1200,
    cpuMs: 1200,
    sampleWallMs: 700,
    processors: 2,
    nproc: 2,
    load1: 4.3,
    stealShare: 0,
    load: 0.2,
    loadBasis: 'recent' as const,
    recentLoad: 0.2,
    loadWindowMs: 350,
    excludedMs: 60,
  };
  const call = {
    ...newCall('r3', ['/t', '/o.img'], 'override', 'auto'),
    predicted: { label: 'zstd-1-b1M/p2', buildMs: 900, imageBytes: 10, cpuMs: 1200, wall },
  };
  await reportCall(memory, call, { wallMs: 950, cpuMs: 1150, imageBytes: 10, exitCode: 0 }, 'host1');
  const rec = map.get(calibrationKey('host1')) as { pairs: Record<string, unknown>[] };
  assert.equal(rec.pairs[0]?.recentLoad, 0.2);
  assert.equal(rec.pairs[0]?.loadWindowMs, 350);
  assert.equal(rec.pairs[0]?.load1, 4.3, 'the 1-minute load is kept as evidence');
  const { calibrate, loadPairs } = await import('../../src/learning/wall-calibration.js');
  assert.equal(calibrate(loadPairs(rec.pairs), 'zstd', [], 'recent').fit.weight, 1, 'read on its basis');
  assert.equal(calibrate(loadPairs(rec.pairs), 'zstd', [], 'load1').fit.weight, 0);
});
