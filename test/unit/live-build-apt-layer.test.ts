// The rule that leaves isoswarm's apt layer out of a live-build chroot: live-build's own package
// cache must have served at least half of the .debs looked up over its recorded builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveBuildServesPackages } from '../../src/builders/live-build-apt-layer.js';

const rec = (hits: number, misses: number, builds = 2) => ({
  cache: 'live-build-packages-chroot',
  builds,
  hits,
  misses,
  hitRate: hits / Math.max(1, hits + misses),
  bytesSaved: hits * 2 ** 20,
});

test('the apt layer is left out only when the stored record shows live-build’s cache effective', () => {
  assert.equal(liveBuildServesPackages(undefined), null, 'nothing recorded: add the layer');
  assert.equal(liveBuildServesPackages({ garbage: true }), null);
  assert.equal(liveBuildServesPackages(rec(0, 120, 1)), null, 'a first build only misses');
  assert.equal(liveBuildServesPackages(rec(50, 70)), null, 'under half served');
  const why = liveBuildServesPackages(rec(120, 120));
  assert.ok(why);
  assert.match(why, /served 120 of 240 \.debs \(50 %, 120\.0 MiB not fetched\) over 2 recorded builds/);
  assert.match(why, /caches counted, not duplicated/);
  assert.equal(liveBuildServesPackages(rec(3, 0, 0)), null, 'no build recorded');
});
