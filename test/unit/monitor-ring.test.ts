import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DownsamplingBuffer, createSampleBuffer, mergeSamples } from '../../agents/monitor/ring.js';
import type { Sample } from '../../agents/monitor/sampler.js';

interface Span {
  first: number;
  last: number;
  n: number;
}
const spanMerge = (a: Span, b: Span): Span => ({ first: a.first, last: b.last, n: a.n + b.n });

test('memory stays bounded and the buckets still cover the whole run, contiguous and in order', () => {
  const buf = new DownsamplingBuffer<Span>(100, spanMerge);
  for (let i = 0; i < 100_000; i++) {
    buf.push({ first: i, last: i, n: 1 });
    assert.ok(buf.toArray().length <= 101);
  }
  const b = buf.toArray();
  assert.equal(b[0]?.first, 0);
  assert.equal(b.at(-1)?.last, 99_999);
  for (let i = 1; i < b.length; i++) assert.equal(b[i]!.first, b[i - 1]!.last + 1);
  assert.equal(
    b.reduce((s, x) => s + x.n, 0),
    100_000,
  );
  // Full buckets all have the same width, a power of two.
  assert.equal(Math.log2(buf.bucketWidth) % 1, 0);
  for (const x of b.slice(0, -1)) assert.equal(x.n, buf.bucketWidth);
  assert.equal(buf.pushed, 100_000);
});

test('below capacity every sample is kept as is', () => {
  const buf = new DownsamplingBuffer<Span>(10, spanMerge);
  for (let i = 0; i < 9; i++) buf.push({ first: i, last: i, n: 1 });
  assert.deepEqual(
    buf.toArray().map((x) => x.first),
    [0, 1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(buf.bucketWidth, 1);
});

function sample(i: number): Sample {
  return {
    at: 1000 * i,
    cpuPct: i % 2 ? 100 : 0,
    memPct: i === 777 ? 99 : 10 + (i % 7),
    memUsedBytes: 1000 + i,
    load1: i % 5,
    disks: [{ path: '/', usedPct: i === 1234 ? 97 : 50, freeBytes: 10_000 - i }],
    temp: { path: '/tmp', bytes: i, files: i, complete: true, stalenessMs: 0 },
    build: {
      pid: 42,
      procs: i % 9,
      cpuPct: i % 2 ? 200 : 0,
      rssBytes: i * 10,
      readBytes: i * 100,
      writeBytes: i * 1000,
      alive: true,
    },
  };
}

test('samples merge into buckets that keep peaks and average CPU; the summary is exact over the run', () => {
  const buf = createSampleBuffer(64);
  const N = 5000;
  for (let i = 0; i < N; i++) buf.push(sample(i));
  const b = buf.toArray();
  assert.ok(b.length <= 65);
  assert.equal(b[0]?.at, 0);
  // The peaks survive downsampling in whichever bucket holds them.
  assert.equal(Math.max(...b.map((s) => s.memPct)), 99);
  assert.equal(Math.max(...b.map((s) => s.disks[0]!.usedPct)), 97);
  const s = buf.summary()!;
  assert.equal(s.memPct, 99);
  assert.equal(s.disks[0]?.usedPct, 97);
  assert.equal(s.disks[0]?.freeBytes, 10_000 - (N - 1));
  assert.ok(Math.abs(s.cpuPct - 50) < 1e-9, `cpu ${s.cpuPct}`);
  assert.ok(Math.abs(s.build!.cpuPct - 100) < 1e-9);
  // Cumulative counters take the latest value.
  assert.equal(s.build?.writeBytes, (N - 1) * 1000);
  assert.equal(s.temp?.bytes, N - 1);
  assert.equal(s.load1, 4);
});

test('mergeSamples weighs the CPU average by how many samples each side covers', () => {
  const a = { ...sample(0), cpuPct: 10 };
  const b = { ...sample(1), cpuPct: 40 };
  assert.equal(mergeSamples(a, b, 3, 1).cpuPct, 17.5);
  const noBuild = { ...sample(2) };
  delete noBuild.build;
  assert.equal(mergeSamples(noBuild, b, 1, 1).build?.pid, 42);
  assert.equal(mergeSamples({ ...a, temp: null }, { ...b, temp: null }, 1, 1).temp, null);
});
