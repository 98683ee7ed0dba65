// The stage timeline from marks and the Monitor's samples: order, bounds, CPU means, I/O deltas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stageTimeline } from '../../src/run/stage-timeline.js';
import type { RunSample } from '../../src/schemas/run-record.js';

const sample = (at: number, cpu: number, build: number, read: number, write: number): RunSample => ({
  at,
  cpuPct: cpu,
  memPct: 10,
  memUsedBytes: 1,
  load1: 0,
  disks: [],
  temp: null,
  build: { pid: 1, procs: 1, cpuPct: build, rssBytes: 1, readBytes: read, writeBytes: write, alive: true },
});

test('marks cut the build into contiguous stages with their samples', () => {
  const samples = [
    sample(1500, 10, 20, 0, 100),
    sample(2500, 30, 40, 0, 300),
    sample(3500, 50, 90, 50, 1300),
    sample(4500, 70, 110, 50, 1400),
  ];
  const marks = [
    { name: 'b', at: 3000, source: 'phase' },
    { name: 'a', at: 500, source: 'phase' }, // before the build: clamped to its start
  ];
  const st = stageTimeline(marks, 1000, 5000, samples);
  assert.deepEqual(
    st.map((s) => [s.name, s.startedAt, s.endedAt, s.durationMs, s.samples]),
    [
      ['a', new Date(1000).toISOString(), new Date(3000).toISOString(), 2000, 2],
      ['b', new Date(3000).toISOString(), new Date(5000).toISOString(), 2000, 2],
    ],
  );
  assert.equal(st[0]!.hostCpuPct, 20);
  assert.equal(st[0]!.buildCpuPct, 30);
  assert.deepEqual([st[0]!.readBytes, st[0]!.writeBytes], [0, 300]);
  assert.deepEqual([st[1]!.readBytes, st[1]!.writeBytes], [50, 1100]);
});

test('a stage without samples has no figures; marks after the build are dropped', () => {
  const st = stageTimeline(
    [
      { name: 'x', at: 1000, source: 'live-build' },
      { name: 'late', at: 9000, source: 'phase' },
    ],
    1000,
    1200,
    [],
  );
  assert.equal(st.length, 1);
  assert.deepEqual([st[0]!.samples, st[0]!.hostCpuPct, st[0]!.buildCpuPct, st[0]!.writeBytes], [0, null, null, null]);
});
