// Opt-in (ISOSWARM_SLOW=1: minutes, and the Debian mirror): a real `debootstrap --variant=minbase
// bookworm` from this host's mirror under `isoswarm run --apt-cache`, twice. The first run misses,
// bootstraps for real (its downloads harvested into the apt cache) and keeps the root; the second
// restores it from the cache, sha256 verified, without running debootstrap, and the chroot works.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { aptMirror } from '../../src/host/system/apt-mirror.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const slow =
  process.env.ISOSWARM_SLOW === '1'
    ? needsRoot()
    : 'a real minbase debootstrap takes minutes and needs the Debian mirror: set ISOSWARM_SLOW=1';

// $1 chroot, $2 mirror, $3 out dir.
const BUILD = `#!/bin/bash
set -eu
t0=$(date +%s.%N)
debootstrap --variant=minbase bookworm "$1" "$2"
echo "$(date +%s.%N) $t0" | awk '{printf "%.1f\\n", $1 - $2}' > "$3/debootstrap-seconds"
chroot "$1" dpkg-query -W -f '\${Package}\\n' | LC_ALL=C sort > "$3/packages"
chroot "$1" /bin/true
`;

interface Lookup {
  outcome: string;
  reason: string;
  restoreMs?: number;
}

describe('a real minbase debootstrap through the root cache', { skip: slow }, () => {
  const home = scratchHome('real-rootcache');
  const work = mkdtempSync('/tmp/isoswarm-test-real-rootcache-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  const env = testEnv(home);
  const chroot = join(work, 'chroot');
  writeFileSync(join(work, 'build.sh'), BUILD, { mode: 0o755 });
  const seen: { lookup: Lookup; seconds: number; packages: string }[] = [];

  for (const round of [1, 2]) {
    test(`run ${round}: ${round === 1 ? 'bootstrapped for real and kept' : 'restored from the cache'}`, () => {
      const out = join(work, `out-${round}`);
      mkdirSync(out);
      const r = cliSync(
        env,
        ['run', '--chroot', chroot, '--apt-cache', '--json', '--', join(work, 'build.sh'), chroot, aptMirror(), out],
        undefined,
        40 * 60_000,
      );
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const rec = JSON.parse(r.stdout) as { rootCache?: Lookup[] };
      const lookup = rec.rootCache?.[0];
      assert.ok(lookup, 'the shim looked the root up');
      seen.push({
        lookup,
        seconds: Number(readFileSync(join(out, 'debootstrap-seconds'), 'utf8')),
        packages: readFileSync(join(out, 'packages'), 'utf8'),
      });
      process.stderr.write(`run ${round}: ${lookup.outcome}, debootstrap step ${seen[round - 1]!.seconds} s\n`);
      if (round === 1) assert.equal(lookup.outcome, 'miss');
      else {
        assert.equal(lookup.outcome, 'hit', lookup.reason);
        assert.doesNotMatch(r.stderr, /I: Retrieving/, 'debootstrap did not run');
        assert.equal(seen[1]!.packages, seen[0]!.packages, 'the same packages are installed');
      }
    });
  }
});
