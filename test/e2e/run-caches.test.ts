// isoswarm run with the apt archive cache and --optimize-system: packages a first build downloads
// are hits for the second (counted in the memory), and the kernel settings the build ran with are
// restored byte for byte afterwards.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { makeDeb } from '../helpers/debs.js';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const SETTINGS = ['/proc/sys/vm/dirty_ratio', '/proc/sys/vm/dirty_background_ratio', '/proc/sys/vm/vfs_cache_pressure'];
const read = () => SETTINGS.map((p) => readFileSync(p, 'utf8'));

// "Downloads" two real packages the first time (from a fixture dir, as apt would from a mirror);
// uses them the second time; installs them (dpkg status) and runs the equivalent of apt-get clean.
// The clean comes a second later, as apt's does (after unpacking): the cache harvests a download
// through inotify, and a file removed within milliseconds of its arrival can be gone before that.
const BUILD = `#!/bin/bash
set -eu
A="$1/var/cache/apt/archives"
mkdir -p "$1/var/lib/dpkg"
if [ -f "$A/libfoo_1.0_amd64.deb" ]; then cat "$A"/*.deb > /dev/null; echo used; else cp "$2"/*.deb "$A"/; echo downloaded; fi
sleep 1
printf 'Package: libfoo\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 1.0\\n\\nPackage: bar\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 2.1\\n' > "$1/var/lib/dpkg/status"
rm -f "$A"/*.deb
`;

describe('run --apt-cache --optimize-system', { skip: needsRoot() }, () => {
  const home = scratchHome('run-caches');
  const work = mkdtempSync('/tmp/isoswarm-test-run-caches-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });

  test('second build hits the cache; settings restored; the chroot is cleaned each time', () => {
    writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
    mkdirSync(`${work}/mirror`);
    makeDeb(`${work}/mirror`, 'libfoo', '1.0', 300_000);
    makeDeb(`${work}/mirror`, 'bar', '2.1', 200_000);
    const env = testEnv(home);
    const before = read();
    for (const round of [1, 2]) {
      const chroot = `${work}/chroot`;
      const r = cliSync(
        env,
        [
          'run',
          '--chroot',
          chroot,
          '--apt-cache',
          '--optimize-system',
          '--no-tune',
          '--json',
          '--',
          `${work}/build.sh`,
          chroot,
          `${work}/mirror`,
        ],
        undefined,
        120_000,
      );
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const rec = JSON.parse(r.stdout) as {
        cache: { hits: number; misses: number; tracking: string };
        systemRollback: { mismatched: unknown[] };
        clean: { status: string };
      };
      assert.deepEqual(rec.systemRollback.mismatched, []);
      assert.equal(rec.clean.status, 'done');
      if (round === 1) assert.equal(rec.cache.misses, 2);
      else assert.equal(rec.cache.hits, 2, JSON.stringify(rec.cache));
      assert.deepEqual(
        readdirSync(`${home}/cache/apt-archives`)
          .filter((n) => n.endsWith('.deb'))
          .sort(),
        ['bar_2.1_amd64.deb', 'libfoo_1.0_amd64.deb'],
        'apt-get clean inside did not empty the host cache',
      );
      assert.deepEqual(read(), before, 'kernel settings not restored');
    }
    const eff = JSON.parse(
      cliSync(env, ['memory', 'get', 'optimization/caching-effectiveness/apt-archives']).stdout,
    ) as { builds: number; hitRate: number };
    assert.equal(eff.builds, 2);
    assert.ok(eff.hitRate > 0.4, `hit rate ${eff.hitRate}`);
  });
});
