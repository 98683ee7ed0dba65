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

  // Not concurrency-safe on its own: every take and release runs in the sessions' one queue
  // (apt-sessions.ts), so two builds attaching at once share one lock.

  /** Holds `dir` for one more build; false when a cleanup or teardown of it holds the lock now. */
  async take(dir: string): Promise<boolean> {
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
  }

  /** One build let go; the lock goes with the last. */
  async release(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users === 0) {
      await this.lock?.release();
      this.lock = null;
    }
  }
}

/** The holds of every cache dir (by real path: the configured dir may change across a restart). */
export class AptHolds {
  private readonly byDir = new Map<string, AptCacheHold>();
  /** Sessions counted in their dir's hold (one taken back while a cleanup held the cache is not). */
  private readonly holding = new WeakSet<object>();

  of(realDir: string): AptCacheHold {
    let h = this.byDir.get(realDir);
    if (!h) this.byDir.set(realDir, (h = new AptCacheHold()));
    return h;
  }

  /** Takes `realDir`'s hold for `session` (given later with `counts` when not known yet). */
  async take(realDir: string, session?: object): Promise<boolean> {
    const ok = await this.of(realDir).take(realDir);
    if (ok && session) this.holding.add(session);
    return ok;
  }

  counts(session: object): void {
    this.holding.add(session);
  }

  /** The session ended: its share of the hold goes (nothing when it had none). */
  async letGo(session: { dir: string }): Promise<void> {
    if (!this.holding.has(session)) return;
    this.holding.delete(session);
    await this.of(session.dir).release();
  }
}
