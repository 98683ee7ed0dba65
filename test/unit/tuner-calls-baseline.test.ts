// live-build's squashfs call names no compressor (live-build adds -comp xz itself): with its
// baseline the call's prediction and what-if are for xz, as it really runs, not for mksquashfs's
// own gzip default, so the measured stage becomes a calibration pair of the right setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choiceLabel, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { decideCall, newCall } from '../../agents/performance-tuner/squashfs-calls.js';
import { type TuneResult } from '../../agents/performance-tuner/tune.js';

const cand = (choice: SquashChoice, buildMs: number, imageBytes: number) => ({
  label: choiceLabel(choice),
  choice,
  predicted: { buildMs, cpuMs: buildMs, imageBytes, readBackMs: 0 },
});
const XZ: SquashChoice = { comp: 'xz', processors: 2 };
const XZ1M: SquashChoice = { comp: 'xz', blockSize: 1 << 20, processors: 2 };
const Z6: SquashChoice = { comp: 'zstd', level: 6, blockSize: 1 << 20, processors: 2 };
// Only what decideCall reads of a tune's result.
const tuned = {
  fingerprint: { threads: 2 },
  candidates: [cand(XZ, 800_000, 209e6), cand(XZ1M, 1_400_000, 195e6), cand(Z6, 55_000, 248e6)],
  choice: {
    label: choiceLabel(Z6),
    choice: Z6,
    mksquashfsOpts: '-comp zstd',
    reason: 'r',
    predicted: cand(Z6, 55_000, 248e6).predicted,
  },
  fastPath: true,
  reuse: { reusable: true, reason: 'similar tree' },
  durationMs: 5,
  key: 'k',
  baseline: 'xz/p2',
} as unknown as TuneResult;
const LB = ['-comp', 'xz'];
const args = ['/p/chroot/chroot', '/p/binary/live/filesystem.squashfs'];

test('respect: live-build runs its xz; the prediction and the what-if are xz’s', () => {
  const c = decideCall(newCall('r', args, 'respect', 'aggressive'), tuned, 8 << 30, LB);
  assert.equal(c.predicted?.label, 'xz/p2');
  assert.equal(c.predicted?.buildMs, 800_000);
  assert.equal(c.whatIf?.askedLabel, 'xz/p2');
  assert.equal(c.baseline, 'xz/p2');
});

test('fill: the -b 1M added to live-build’s xz is predicted as xz -b 1M', () => {
  const c = decideCall(newCall('r', args, 'fill', 'aggressive'), tuned, 8 << 30, LB);
  assert.ok(
    c.changed.some((x) => x.includes('-b 1024K')),
    c.changed.join(' '),
  );
  assert.equal(c.predicted?.label, 'xz-b1M/p2');
});

test('override: the tuned compressor runs and is predicted; without a baseline the old reading stays', () => {
  assert.equal(
    decideCall(newCall('r', args, 'override', 'aggressive'), tuned, 8 << 30, LB).predicted?.label,
    'zstd-6-b1M/p2',
  );
  const plain = decideCall(newCall('r', args, 'respect', 'aggressive'), tuned, 8 << 30);
  assert.equal(plain.whatIf?.askedLabel, 'gzip/p2', 'a plain mksquashfs call without -comp runs gzip');
  assert.equal(plain.predicted, null, 'gzip was not measured here');
});
