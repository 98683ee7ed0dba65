// While a build has the apt cache attached, the cache's host dir is its overlay's lower layer, which
// must not change under the mount. The tuner then holds the dir's target lock, one hold for all the
// builds attached (this one process serves them all): a cleanup of the dir, the reactor's on a disk
// alert included, cannot take the lock and is refused, and its refusal says who holds it.
import { realpathSync } from 'node:fs';
import { holderAnswer } from '../../src/host/guard/lock-probe.js';
import { acquireNamedLock, lockName, type TargetLock } from '../../src/host/guard/target-lock.js';

export class AptCacheHold {
  private lock: TargetLock | null = null;
  private users = 0;
  /** take and release run one at a time: two builds attaching at once share one lock. */
  private queue: Promise<unknown> = Promise.resolve();

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Holds `dir` for one more build; false when a cleanup or teardown of it holds the lock now. */
  take(dir: string): Promise<boolean> {
    return this.serial(async () => {
      if (this.users === 0) {
        const real = realpathSync(dir);
        const lock = await acquireNamedLock(
          lockName(real),
          holderAnswer(`the apt cache is mounted into a running build by the tuner (pid ${process.pid})`, real),
          real,
        );
        if (!lock) return false;
        this.lock = lock;
      }
      this.users++;
      return true;
    });
  }

  /** One build let go; the lock goes with the last. */
  release(): Promise<void> {
    return this.serial(async () => {
      if (this.users === 0) return;
      this.users--;
      if (this.users === 0) {
        await this.lock?.release();
        this.lock = null;
      }
    });
  }
}
