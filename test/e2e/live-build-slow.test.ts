// Opt-in (ISOSWARM_SLOW=1; root, network, live-build installed; 20-40 min): the "done when"
// with a real `lb build` of a minimal bookworm iso-hybrid, run twice under `isoswarm run` by
// bench/live-build.mjs (run A live-build's default xz, run B the tuned squashfs). Checked here:
// both ISOs are ISO 9660 + El Torito (xorriso -report_el_torito), B's squashfs has the tuned
// compressor (unsquashfs -s), every live-build stage is in the record with its duration, the
// second run hit live-build's caches. Speed is the bench's to print, not this test's to assert.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../helpers/root.js';

const BENCH = fileURLToPath(new URL('../../../bench/live-build.mjs', import.meta.url));
const skip =
  process.env.ISOSWARM_SLOW !== '1'
    ? 'opt-in: ISOSWARM_SLOW=1 runs a real lb build twice (20-40 min)'
    : !isRoot
      ? 'live-build needs root'
      : spawnSync('lb', ['--version']).status !== 0
        ? 'live-build is not installed'
        : false;

interface Run {
  exitCode: number;
  stages: { name: string; durationMs: number }[];
  squashfs: { compression: string | null; tuned: string | null; ran: string[] | null; wallMs: number | null };
  iso: { elTorito: boolean; bytes: number | null };
  caches: { cache: string; hits: number }[];
}

describe('a real lb build under isoswarm run, twice', { skip }, () => {
  test('valid El Torito ISOs, the tuned compressor in B, every stage with its duration, caches hit', () => {
    const r = spawnSync(process.execPath, [BENCH, '--json'], { encoding: 'utf8', timeout: 4 * 3600_000 });
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    const out = JSON.parse(r.stdout) as { a: Run; b: Run; compare: string };
    for (const run of [out.a, out.b]) {
      assert.equal(run.exitCode, 0);
      assert.ok(run.iso.elTorito, 'xorriso reports an El Torito boot image');
      const names = run.stages.map((s) => s.name);
      for (const n of ['chroot_install-packages install', 'binary_rootfs', 'binary_iso'])
        assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
      assert.ok(run.stages.every((s) => s.durationMs >= 0));
    }
    assert.equal(out.a.squashfs.compression, 'xz', "run A: live-build's default");
    const tuned = out.b.squashfs.ran?.[out.b.squashfs.ran.indexOf('-comp') + 1];
    assert.ok(tuned, `run B ran ${out.b.squashfs.ran?.join(' ')}`);
    assert.equal(out.b.squashfs.compression, tuned, 'run B: the tuned compressor');
    assert.ok(
      out.b.caches.some((c) => c.cache === 'live-build-packages-chroot' && c.hits > 0),
      'cache hits in B',
    );
    assert.match(out.compare, /\| binary_rootfs \|/);
  });
});
