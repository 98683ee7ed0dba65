// The guardian's side of the build lock (chroot-lock.ts): it takes its own name on the chroot before
// it starts the build, while the run's CLI still holds the run's, and lets go once the build has
// ended (its group too, for a lapsed run), before it reports the exit. Kept lean: the guardian is tiny.
import { takeGuardianBuildLock } from '../host/guard/build-lock.js';
import type { TargetLock } from '../host/guard/target-lock.js';

/** The chroot's real path, handed to the guardian (not passed on to the build). */
export const BUILD_LOCK_ENV = 'ISOSWARM_BUILD_LOCK';

/** The guardian's build lock on the chroot the environment names (the name is removed from it), if any. */
export async function guardianBuildLock(
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; lock: TargetLock | null } | { ok: false; reason: string }> {
  const real = env[BUILD_LOCK_ENV];
  delete env[BUILD_LOCK_ENV];
  if (!real) return { ok: true, lock: null };
  const lock = await takeGuardianBuildLock(
    real,
    `run ${env.ISOSWARM_RUN_ID ?? '?'} (guardian pid ${process.pid}) is building in it`,
  );
  return lock ? { ok: true, lock } : { ok: false, reason: `another build holds ${real}` };
}
