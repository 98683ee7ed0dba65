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
