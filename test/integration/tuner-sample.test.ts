// Tree scan, sample, duplicate estimate, fingerprint and host benchmark on real files: hardlinks
// count once, symlinks are not followed, mounts inside the tree are not entered, the sample is
// made of hardlinks and exact slices, and duplicates are counted as mksquashfs stores them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { needsRoot } from '../helpers/root.js';
import { hostFingerprint } from '../../src/host/squashfs/fingerprint.js';
import { hostBenchmark } from '../../src/host/squashfs/host-benchmark.js';
import { estimateDuplicates } from '../../src/host/squashfs/tree-dedup.js';
import { materializeSample, planSample } from '../../src/host/squashfs/tree-sample.js';
import { scanTree } from '../../src/host/squashfs/tree-scan.js';

const scratch = mkdtempSync('/tmp/isoswarm-test-sample-');
after(() => {
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(scratch))
    throw new Error(`a mount under ${scratch} was left behind`);
  rmSync(scratch, { recursive: true, force: true });
});

test(
  'scan: hardlinks once, symlinks not followed, mounts inside the tree not entered',
  { skip: needsRoot() },
  async () => {
    const tree = join(scratch, 'tree');
    const outside = join(scratch, 'outside');
    mkdirSync(join(tree, 'a/b'), { recursive: true });
    mkdirSync(join(tree, 'proc'));
    mkdirSync(outside);
    writeFileSync(join(tree, 'a/one.txt'), 'x'.repeat(1000));
    writeFileSync(join(tree, 'a/b/two.so.1.2'), randomBytes(3000));
    linkSync(join(tree, 'a/one.txt'), join(tree, 'a/one-link.txt'));
    symlinkSync(outside, join(tree, 'a/to-outside'));
    writeFileSync(join(outside, 'big.bin'), randomBytes(50_000));
    assert.equal(spawnSync('mount', ['--bind', outside, join(tree, 'proc')]).status, 0);
    try {
      const scan = await scanTree(tree);
      // Read order (depth first, names sorted); one.txt is the second name of an inode already seen.
      assert.deepEqual(
        scan.files.map((f) => f.rel),
        ['a/b/two.so.1.2', 'a/one-link.txt'],
        'hardlinks count once',
      );
      assert.equal(scan.totalBytes, 4000);
      assert.equal(scan.symlinks, 1);
      assert.deepEqual(scan.skippedMounts, [join(tree, 'proc')]);
      assert.ok(
        scan.files.some((f) => f.ext === 'so'),
        'versioned shared objects count as .so',
      );
    } finally {
      assert.equal(spawnSync('umount', [join(tree, 'proc')]).status, 0);
    }
  },
);

test('sample: hardlinks of whole files, exact byte ranges of slices, in the tree order', async () => {
  const tree = join(scratch, 'tree2');
  for (let d = 0; d < 8; d++) {
    mkdirSync(join(tree, `d${d}`), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(tree, `d${d}`, `f${i}.txt`), randomBytes(2000 + i * 100));
  }
  writeFileSync(join(tree, 'huge.bin'), randomBytes(24 << 20));
  const scan = await scanTree(tree);
  const plan = planSample(scan, 0.1, 'test');
  const s = await materializeSample(tree, plan, join(scratch, 'sample'));
  assert.ok(s.linked > 0 && s.copied > 0);
  for (const e of plan.entries) {
    const dst = join(s.dir, e.name ?? e.rel);
    if (e.whole)
      assert.equal(statSync(dst).ino, statSync(join(tree, e.rel)).ino, `${e.rel} is a hardlink, no bytes copied`);
    else {
      const want = Buffer.alloc(e.length);
      const fd = openSync(join(tree, e.rel), 'r');
      readSync(fd, want, 0, e.length, e.offset);
      closeSync(fd);
      assert.ok(readFileSync(dst).equals(want), `${e.rel}: slice [${e.offset}, +${e.length}) copied exactly`);
    }
  }
  const huge = plan.entries.filter((e) => e.rel === 'huge.bin');
  const hugeBytes = huge.reduce((a, e) => a + e.length, 0);
  assert.ok(hugeBytes >= 2 << 20 && hugeBytes <= 3 << 20, `about 10 % of the huge file: ${hugeBytes}`);
  for (const e of huge)
    assert.ok(!e.whole && e.offset % (256 << 10) === 0 && e.length === 256 << 10, 'in aligned 256 KiB runs');
});

test('duplicates: the distinct share of the tree is estimated from the sample', async () => {
  const tree = join(scratch, 'dups');
  mkdirSync(tree);
  const same = randomBytes(50_000);
  // 20 copies of one file (1 MB, stored once) and 100 distinct files of 10 kB (1 MB).
  for (let i = 0; i < 20; i++) {
    mkdirSync(join(tree, `p${i}`));
    writeFileSync(join(tree, `p${i}`, 'copyright'), same);
  }
  for (let i = 0; i < 100; i++) writeFileSync(join(tree, `u${String(i).padStart(3, '0')}`), randomBytes(10_000));
  const scan = await scanTree(tree);
  const whole = planSample(scan, 1);
  const d = estimateDuplicates(scan, whole);
  assert.ok(Math.abs(d.uniqueShare - 1_050_000 / 2_000_000) < 1e-9, `distinct share ${d.uniqueShare}`);
  assert.equal(d.sampleUniqueBytes, 1_050_000, 'inside the sample, copies count once too');
  assert.equal(d.complete, true);
  const half = estimateDuplicates(scan, planSample(scan, 0.5, 'x'));
  assert.ok(Math.abs(half.uniqueShare - 0.525) < 0.15, `estimate from half the tree: ${half.uniqueShare}`);
});

test('fingerprint: a stable short id and the inventory behind it', async () => {
  const a = await hostFingerprint(scratch);
  const b = await hostFingerprint(scratch);
  assert.match(a.id, /^[0-9a-f]{12}$/);
  assert.equal(a.id, b.id);
  assert.ok(a.threads >= 1 && a.cores >= 1 && a.memBytes > 0);
  assert.ok(a.cpuModel.length > 0 && a.kernel.length > 0);
  const v = spawnSync('mksquashfs', ['-version'], { encoding: 'utf8' }).stdout;
  assert.ok(a.tools.mksquashfs && v.includes(a.tools.mksquashfs), 'mksquashfs version from the installed binary');
});

test('host benchmark: real CPU, memory, disk and compressor numbers in a few seconds', async () => {
  const r = await hostBenchmark({ scratchParent: scratch, scale: 0.25 });
  for (const [k, v] of Object.entries({
    cpu: r.cpuSha256MBps,
    mem: r.memCopyMBps,
    write: r.diskWriteMBps,
    gzip: r.compressMBps.gzip6,
  }))
    assert.ok(v > 0, `${k} measured`);
  assert.ok(r.diskReadMBps === null || r.diskReadMBps > 0);
  assert.ok(r.durationMs < 10_000, `took ${r.durationMs} ms`);
});
