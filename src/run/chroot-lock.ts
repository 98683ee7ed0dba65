// A build holds the build lock on its chroot (src/host/guard/build-lock.ts) from before anything is put
// into the chroot until the build has ended: the run's CLI through pre-task, then the build's guardian
// while the build lives. So no teardown or delete acts on a tree a build is using: not the reactor's on
// a tree it judged stale a moment before this run registered, nor a person's `isoswarm cleanup`. The
// run's own post-task (teardown and clean) comes after both have let go.
import { existsSync } from 'node:fs';
import { takeRunBuildLock } from '../host/guard/build-lock.js';
import type { TargetLock } from '../host/guard/target-lock.js';
import { RunRefusal } from './tmpfs-workdir.js';
import { writerLockName } from '../memory/writer-lock.js';
import { realChrootPath } from './chroot-real-path.js';

export { BUILD_LOCK_ENV } from './guardian-lock.js';
export { realChrootPath } from './chroot-real-path.js';

/** Takes the run's build lock, or refuses the run (exit 3) while a cleanup, teardown or another build has the tree. */
export async function lockChrootForBuild(
  chroot: string,
  runId: string,
  memoryDir: string,
): Promise<{ lock: TargetLock; real: string }> {
  const real = realChrootPath(chroot);
  // This home's memory writer lock is no cleanup, even held by a stopped hook or an older coordinator.
  const memory = existsSync(memoryDir) ? [writerLockName(memoryDir)] : [];
  const r = await takeRunBuildLock(real, `run ${runId} (pid ${process.pid}) is building in it`, memory);
  if (!r.ok) throw new RunRefusal(`refusing to start on ${chroot}: ${r.reason}; nothing was changed`, 'refused');
  return { lock: r.lock, real };
}
