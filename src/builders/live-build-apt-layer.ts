// Caches counted, not duplicated: live-build keeps the .debs a build fetched in its own
// cache/packages.chroot and puts them back into the chroot's apt archive before apt runs. When the
// stored record of that cache says it serves the builds, isoswarm's apt archive layer (`--apt-cache`)
// would be a second copy of the same .debs in the same place, so it is not added to a live-build
// chroot; the run's notes say why. Pure: the stored record in, the reason (or null) out.
export const LIVE_BUILD_PACKAGES_KEY = 'optimization/caching-effectiveness/live-build-packages-chroot';
/** At least this share of the .debs looked up came from live-build's cache over its recorded builds. */
export const EFFECTIVE_HIT_RATE = 0.5;

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** Why the apt layer is left out (live-build's package cache is effective), or null to add it as asked. */
export function liveBuildServesPackages(rec: unknown): string | null {
  if (!rec || typeof rec !== 'object') return null;
  const r = rec as Record<string, unknown>;
  const hits = num(r.hits);
  const misses = num(r.misses);
  const builds = num(r.builds);
  if (builds < 1 || hits === 0 || hits / (hits + misses) < EFFECTIVE_HIT_RATE) return null;
  const mib = (num(r.bytesSaved) / 2 ** 20).toFixed(1);
  return (
    `apt cache layer not added: live-build's own package cache served ${hits} of ${hits + misses} .debs ` +
    `(${Math.round((hits / (hits + misses)) * 100)} %, ${mib} MiB not fetched) over ${builds} recorded builds ` +
    `(${LIVE_BUILD_PACKAGES_KEY}); caches counted, not duplicated`
  );
}
