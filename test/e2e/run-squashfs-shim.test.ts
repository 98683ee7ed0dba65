// The "done when" as a real build under `isoswarm run --apt-cache`: a small chroot gets
// packages "installed" (real .debs, two from the host cache, two downloaded), `apt-get clean` empties
// its archive dir, and the script runs `mksquashfs "$CHROOT" out.img -comp xz` through the shim.
// The host cache stays intact and gains the downloads, the image holds no .deb, the report shows
// the call (asked, ran, predicted vs measured), --squashfs override builds with the tuned compressor,
// a second run reuses the measurement; with the swarm down the shim runs the real tool unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';

const SHIMS = new URL('../../../shims', import.meta.url).pathname;

// $1 chroot, $2 mirror dir (stands in for the network), $3 image path.
const BUILD = `#!/bin/bash
set -eu
C="$1"; M="$2"; OUT="$3"
mkdir -p "$C/etc" "$C/usr/share" "$C/var/lib/dpkg" "$C/var/cache/apt/archives/partial"
cp -a /usr/share/perl5 "$C/usr/share/" 2>/dev/null || cp -a /usr/share/doc "$C/usr/share/"
echo fake > "$C/etc/hostname"
A="$C/var/cache/apt/archives"
for p in a b c d; do
  f=$(ls "$A"/\${p}_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$f" ]; then cp "$M"/\${p}_*.deb "$A/partial/"; mv "$A"/partial/\${p}_*.deb "$A/"; f=$(ls "$A"/\${p}_*.deb); echo "downloaded $p"; else echo "cached $p"; fi
  dpkg-deb -x "$f" "$C"
  v=$(dpkg-deb -f "$f" Version)
  printf 'Package: %s\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: %s\\n\\n' "$p" "$v" >> "$C/var/lib/dpkg/status"
done
rm -f "$A"/*.deb
mksquashfs "$C" "$OUT" -noappend -comp xz
`;

const sha = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((n) => n.endsWith('.deb'))
      .sort()
      .map((n) => [
        n,
        createHash('sha256')
          .update(readFileSync(join(dir, n)))
          .digest('hex'),
      ]),
  );

interface Call {
  asked: string[];
  ran: string[];
  tuned: { label: string; fastPath: boolean; mksquashfsOpts: string; key: string } | null;
  predicted: {
    buildMs: number;
    imageBytes: number;
    wall?: {
      model: string;
      wallMs: number;
      cpuMs: number;
      load1: number;
      loadPairs: number;
      loadBasis?: string;
      loadWindowMs?: number;
    };
  } | null;
  measured: { wallMs: number; cpuMs: number | null; imageBytes: number; exitCode: number } | null;
  cacheSuspended: string[];
  baseline?: string | null;
}

describe('run: the mksquashfs shim and the apt cache overlay on a real build', { skip: needsRoot() }, () => {
  const home = scratchHome('shim');
  const work = mkdtempSync('/tmp/isoswarm-test-shim-');
  after(() => {
    cliSync(testEnv(home), ['down']);
    teardownHome(home);
    removeScratch(work);
  });
  const cache = join(work, 'host-apt-cache');
  const mirror = join(work, 'mirror');
  const chroot = join(work, 'chroot');
  mkdirSync(cache);
  mkdirSync(mirror);
  makeDeb(cache, 'a', '1.0', 200_000);
  makeDeb(cache, 'b', '1.0', 200_000);
  makeDeb(mirror, 'c', '2.0', 300_000);
  makeDeb(mirror, 'd', '2.0', 300_000);
  writeFileSync(join(work, 'build.sh'), BUILD, { mode: 0o755 });
  writeFileSync(join(work, 'config.json'), JSON.stringify({ caches: { aptDir: cache } }));
  const env = testEnv(home, { ISOSWARM_CONFIG: join(work, 'config.json') });
  const hostBefore = sha(cache);
  const runs: { rec: Record<string, unknown>; calls: Call[]; img: string }[] = [];

  test('swarm up', () => {
    const r = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(r.code, 0, r.stderr);
  });

  for (const round of [1, 2]) {
    test(`run ${round}: host cache intact and harvested, no .deb in the image, the call reported, override applied`, () => {
      const img = join(work, `out-${round}.img`);
      const r = cliSync(
        env,
        [
          'run',
          '--chroot',
          chroot,
          '--apt-cache',
          '--squashfs',
          'override',
          '--json',
          '--',
          join(work, 'build.sh'),
          chroot,
          mirror,
          img,
        ],
        undefined,
        900_000,
      );
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const rec = JSON.parse(r.stdout) as Record<string, unknown> & {
        cache: { hits: number; misses: number };
        squashfsCalls: Call[];
      };
      runs.push({ rec, calls: rec.squashfsCalls, img });
      const after = sha(cache);
      for (const [n, h] of Object.entries(hostBefore))
        assert.equal(after[n], h, `${n} intact after apt-get clean inside`);
      assert.deepEqual(
        Object.keys(after),
        ['a_1.0_amd64.deb', 'b_1.0_amd64.deb', 'c_2.0_amd64.deb', 'd_2.0_amd64.deb'],
        'the downloads were harvested',
      );
      if (round === 1) assert.deepEqual([rec.cache.hits, rec.cache.misses], [2, 2], JSON.stringify(rec.cache));
      else assert.deepEqual([rec.cache.hits, rec.cache.misses], [4, 0], JSON.stringify(rec.cache));
      const list = spawnSync('unsquashfs', ['-l', img], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.ok(list.stdout.includes('/usr/share/a/payload.bin'), 'the installed files are in the image');
      assert.deepEqual(
        list.stdout.split('\n').filter((l) => l.endsWith('.deb')),
        [],
        'no .deb in the image',
      );
      assert.equal(rec.squashfsCalls.length, 1);
      const c = rec.squashfsCalls[0] as Call;
      assert.deepEqual(c.asked.slice(-3), ['-noappend', '-comp', 'xz'].slice(-3));
      assert.ok(c.tuned, 'the tuner answered');
      // The script named its compressor: that is the build's baseline (measured; anchors aggressive).
      assert.match(c.baseline ?? '', /^xz\/p\d+$/, JSON.stringify(c));
      const comp = /-comp (\S+)/.exec(c.tuned.mksquashfsOpts)?.[1];
      assert.equal(c.ran[c.ran.indexOf('-comp') + 1], comp, 'override: the tuned compressor ran');
      assert.equal(c.ran.filter((a) => a === '-comp').length, 1);
      const s = spawnSync('unsquashfs', ['-s', img], { encoding: 'utf8' });
      assert.match(s.stdout, new RegExp(`Compression ${comp}`), 'the image was built with the tuned compressor');
      assert.ok(c.measured && c.measured.exitCode === 0 && c.measured.wallMs > 0);
      assert.equal(c.measured.imageBytes, statSync(img).size);
      assert.ok(c.predicted && c.predicted.buildMs > 0 && c.predicted.imageBytes > 0, 'a prediction for what ran');
      // The wall time is predicted from the sample's CPU at the load seen; round 2 has round 1's pair.
      assert.equal(c.predicted.wall?.model, 'cpu-load');
      assert.equal(c.predicted.wall?.wallMs, c.predicted.buildMs);
      assert.ok((c.predicted.wall?.cpuMs ?? 0) > 0 && (c.predicted.wall?.load1 ?? -1) >= 0);
      assert.equal(c.predicted.wall?.loadPairs, round - 1, 'the earlier run became a pair with CPU and load');
      // The shim names itself: the load read is the other work since it started, from the marks the
      // agent keeps every 250 ms; a shim that asked before the first mark after its start gets load1
      // (the window itself is tested in tuner-recent-load). Either way the basis says which it was.
      const basis = c.predicted.wall?.loadBasis;
      assert.ok(basis === 'recent' || basis === 'load1', JSON.stringify(c.predicted.wall));
      if (basis === 'recent') assert.ok((c.predicted.wall?.loadWindowMs ?? 0) > 0);
      else assert.equal(c.predicted.wall?.loadWindowMs, undefined, 'no window behind a load1 reading');
      assert.deepEqual(c.cacheSuspended, [chroot], 'the cache overlay was out of the chroot during mksquashfs');
      assert.equal(
        c.tuned.fastPath,
        round === 2,
        round === 2 ? 'the second run reuses the measurement' : 'the first run samples the tree',
      );
      const md = cliSync(env, ['report', String(rec.runId), '--format', 'md']);
      assert.equal(md.code, 0, md.stderr);
      assert.match(md.stdout, /### mksquashfs calls/);
      assert.match(md.stdout, /asked: .*-comp xz/);
      assert.match(md.stdout, /predicted .*, measured /);
      if (round === 2) {
        // The reuse is a decision under the tune record's key, shown by `patterns explain`.
        const ex = cliSync(env, ['patterns', 'explain', 'parallel-config', '--json']);
        assert.equal(ex.code, 0, ex.stderr);
        const recs = (JSON.parse(ex.stdout) as { records: { key: string; decisions: { decision: string }[] }[] })
          .records;
        const reuse = recs.find((r) => r.key === c.tuned?.key);
        assert.ok(
          reuse?.decisions.some((d) => /reused the stored measurement/.test(d.decision)),
          JSON.stringify(recs.map((r) => [r.key, r.decisions])),
        );
      }
    });
  }

  test('with the swarm down the shim runs the real tool unchanged and passes its exit code through', () => {
    assert.equal(cliSync(env, ['down']).code, 0);
    const src = join(work, 'plain-src');
    mkdirSync(src);
    writeFileSync(join(src, 'f.txt'), 'hello\n'.repeat(1000));
    const shimEnv = { ...env, PATH: `${SHIMS}:${process.env.PATH}` };
    const ok = spawnSync('mksquashfs', [src, join(work, 'plain.img'), '-noappend', '-comp', 'xz'], {
      env: shimEnv,
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr.split('\n').filter((l) => l.startsWith('isoswarm:')).length, 1, 'said once');
    assert.match(ok.stderr, /not reachable.*unchanged/);
    assert.match(
      spawnSync('unsquashfs', ['-s', join(work, 'plain.img')], { encoding: 'utf8' }).stdout,
      /Compression xz/,
    );
    const realBad = spawnSync('/usr/bin/mksquashfs', [join(work, 'missing'), join(work, 'x.img')], {
      encoding: 'utf8',
    });
    const bad = spawnSync('mksquashfs', [join(work, 'missing'), join(work, 'x.img')], {
      env: shimEnv,
      encoding: 'utf8',
    });
    assert.notEqual(realBad.status, 0);
    assert.equal(bad.status, realBad.status, 'exit code passed through');
  });
});
