// isoswarm run with the apt archive cache and --optimize-system: packages a first build downloads
// are hits for the second (counted in the memory), and the kernel settings the build ran with are
// restored byte for byte afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const SETTINGS = ['/proc/sys/vm/dirty_ratio', '/proc/sys/vm/dirty_background_ratio', '/proc/sys/vm/vfs_cache_pressure'];
const read = () => SETTINGS.map((p) => readFileSync(p, 'utf8'));

// "Downloads" two packages the first time; uses (reads) them the second time.
const BUILD = `#!/bin/bash
set -eu
A="$1/var/cache/apt/archives"
if [ -f "$A/libfoo_1.0_amd64.deb" ]; then cat "$A"/*.deb > /dev/null; echo used; else
  head -c 300000 /dev/urandom > "$A/libfoo_1.0_amd64.deb"; head -c 200000 /dev/urandom > "$A/bar_2.1_amd64.deb"; echo downloaded; fi
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
    const env = testEnv(home);
    const before = read();
    for (const round of [1, 2]) {
      const chroot = `${work}/chroot`;
      const r = cliSync(env, ['run', '--chroot', chroot, '--apt-cache', '--optimize-system', '--no-tune', '--json', '--', `${work}/build.sh`, chroot], undefined, 120_000);
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const rec = JSON.parse(r.stdout) as { cache: { hits: number; misses: number; tracking: string }; systemRollback: { mismatched: unknown[] }; clean: { status: string } };
      assert.deepEqual(rec.systemRollback.mismatched, []);
      assert.equal(rec.clean.status, 'done');
      if (round === 1) assert.equal(rec.cache.misses, 2);
      else if (rec.cache.tracking === 'atime') assert.equal(rec.cache.hits, 2);
      assert.deepEqual(read(), before, 'kernel settings not restored');
    }
    const eff = JSON.parse(cliSync(env, ['memory', 'get', 'optimization/caching-effectiveness/apt-archives']).stdout) as { builds: number; hitRate: number };
    assert.equal(eff.builds, 2);
    assert.ok(eff.hitRate > 0.4, `hit rate ${eff.hitRate}`);
  });
});
