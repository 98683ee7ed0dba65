// The builds that have the apt cache attached, as this tuner serves them, changed through one queue:
// one session per chroot, one hold per cache dir for all its builds (apt-cache-hold.ts), packages
// staged while the cache is another build's lower layer (apt-pending.ts), and the sessions a tuner
// started again takes back (apt-session-file.ts).
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { AptHolds } from './apt-cache-hold.js';
import { pendingDirFor } from './apt-pending.js';
import { publishHeld, sweepLeftBehind } from './apt-orphans.js';
import { saveSessionFile, takeBack } from './apt-session-file.js';
import { EndedSessions, type EndedReply } from './apt-ended.js';
import { realOr } from '../../src/host/fs/real-path.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isOverlayOn } from '../../src/host/mounts/overlay-options.js';
import {
  attachAptCache,
  detachAptCache,
  resumeAptCache,
  suspendAptCache,
  type AptDetach,
  type AptSession,
  type CacheBuildStats,
} from './caches.js';
import type { UnbindResult } from '../../src/host/mounts/cache-bind.js';
import type { OverlayHandle } from '../../src/host/cache/overlay.js';

export class AptSessions {
  private readonly map = new Map<string, AptSession>();
  private readonly holds = new AptHolds();
  /** Settles once sessions still mounted from before this process are taken back. */
  readonly ready: Promise<void>;
  /** Settles once the dirs an earlier tuner left unmounted are swept (after ready). */
  readonly swept: Promise<void>;
  /** Until then, the cache is not known to be free (busy() says so). */
  private adopting = true;
  /** Attach, detach and taking back run one at a time: "the last build to let go" is then exact. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Sessions a reap ended, for their build's detach that comes after. */
  private readonly ended = new EndedSessions();

  constructor(
    private readonly stateDir: string,
    private readonly log: AgentContext['log'],
    fallbackLimit: number,
    /** Remove what an earlier tuner left unmounted (not in a dry-run swarm, which changes nothing). */
    private readonly sweep = true,
    /** Records an ended session's use (optimization/caching-effectiveness): a detach's or a reap's. */
    private readonly recordUse: (stats: CacheBuildStats) => Promise<void> = () => Promise.resolve(),
  ) {
    this.ready = this.serial(() => this.adopt(fallbackLimit))
      .catch((e: Error) =>
        log.warn({ err: e.message }, 'apt cache overlays from before this start could not be taken back'),
      )
      .finally(() => (this.adopting = false));
    // What an earlier tuner left unmounted goes after that, in turn (it does not hold up "ready").
    this.swept = sweep
      ? this.serial(() => this.sweepNow()).catch((e: Error) =>
          log.warn({ err: e.message }, 'apt overlay dirs left behind could not be swept'),
        )
      : Promise.resolve();
  }

  /**
   * The run-private dirs' parent, by its real path (mountinfo names an overlay's layers as they were
   * given): overlays whose upper layer is below it are this state's.
   */
  get overlayRoot(): string {
    const root = join(this.stateDir, 'cache', 'apt-overlay');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return realpathSync(root);
  }

  /** Sessions are keyed by the chroot's real path; a path that no longer resolves is looked up as given. */
  key = (chroot: string): string => realOr(chroot);

  get(chroot: string): AptSession | undefined {
    return this.map.get(this.key(chroot));
  }

  get size(): number {
    return this.map.size;
  }

  entries(): IterableIterator<[string, AptSession]> {
    return this.map.entries();
  }

  /** Saved again when what a detach counts from changes (a root restored into the chroot). */
  touched(s: AptSession): void {
    this.save(s);
  }

  /**
   * Another session has `realDir` as its overlay's lower layer. One whose overlay was taken away
   * counts until its reap (right after the detach) ends it: its count is then the cache's change.
   */
  private othersOn(realDir: string): boolean {
    return [...this.map.values()].some((o) => o.dir === realDir);
  }

  /** The answer for run `runId`'s detach of `chroot`, whose session ended already (used up by it). */
  endedEarlier(chroot: string, runId: string | null): EndedReply | undefined {
    return this.ended.take(this.key(chroot), runId);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Why the cache dir must not change now (a build has it as its lower layer), or null. */
  busy(): string | null {
    if (this.adopting) return 'the tuner is taking back apt cache overlays mounted before it started';
    return this.map.size ? `the apt cache is mounted into ${[...this.map.keys()].join(', ')} by a running build` : null;
  }

  /**
   * Attaches for `chroot` (its real path): 'locked' when a cleanup of the cache dir holds it now,
   * 'attached' when the chroot has it attached already.
   */
  attach(
    dir: string,
    chroot: string,
    limitBytes: number,
    privateDir: string,
    /** Not mounted after this (ms since the epoch): its caller has gone on without the cache by then. */
    deadline = Number.POSITIVE_INFINITY,
    runId: string | null = null,
  ): Promise<AptSession | 'locked' | 'attached' | 'late'> {
    return this.serial(async () => {
      if (Date.now() > deadline) return 'late';
      await this.reap();
      if (this.map.has(chroot)) return 'attached';
      const real = realpathSync(dir);
      if (!(await this.holds.take(real))) return 'locked';
      if (Date.now() > deadline) {
        await this.holds.of(real).release();
        return 'late';
      }
      let s: AptSession;
      try {
        s = await attachAptCache(real, chroot, limitBytes, privateDir, runId);
      } catch (e) {
        await this.holds.of(real).release();
        throw e;
      }
      this.ended.forget(chroot);
      this.holds.counts(s);
      this.map.set(chroot, s);
      this.save(s);
      return s;
    });
  }

  /** Takes the overlay out of the chroot (for a mksquashfs of it), in turn with attach and detach. */
  suspend(s: AptSession): Promise<UnbindResult> {
    return this.serial(() => suspendAptCache(s));
  }
  /** Puts a suspended overlay back, in turn with attach and detach. */
  resume(s: AptSession): Promise<OverlayHandle> {
    return this.serial(() => resumeAptCache(s));
  }

  /**
   * Detaches `key`'s session; it stays (and its hold) when its overlay could not be unmounted. One a
   * reap ended meanwhile is answered with what the reap counted. Sessions whose overlay was taken
   * away are reaped after it, in turn: the answer (and the caller's timeout) waits for its own work.
   */
  detach(key: string, s: AptSession): Promise<AptDetach> {
    const d = this.serial(async () => {
      const r = await this.detachNow(key, s);
      // Kept for the run's detach again, should this answer come after it stopped waiting.
      if (r.sessionEnded && s.runId && !('endedEarlier' in r))
        this.ended.remember(key, s, r, 'ended by an earlier detach of this run (answered after it stopped waiting)');
      return r;
    });
    void this.serial(() => this.reap()).catch((e: Error) =>
      this.log.warn({ err: e.message }, 'apt cache sessions whose overlay was taken away could not be reaped'),
    );
    return d;
  }

  private async detachNow(key: string, s: AptSession, onlyIfGone = false): Promise<AptDetach> {
    // A retry queued behind a new attach of the same chroot must not end the new session.
    if (this.map.get(key) !== s) {
      const e = this.ended.take(key, s.runId, s);
      if (e) return e;
      throw new Error(`the apt cache session of ${key} ended already`);
    }
    this.map.delete(key);
    let d: AptDetach;
    try {
      const last = !this.othersOn(s.dir);
      d = await detachAptCache(s, { last, pendingDir: pendingDirFor(this.stateDir, s.dir), onlyIfGone });
    } finally {
      if (s.handle) this.map.set(key, s);
      else await this.holds.letGo(s);
    }
    // Still mounted: what it counted is kept (in the session file too) for the detach that ends it.
    if (s.handle) this.save(s);
    else
      await this.recordUse(d.stats).catch((e: Error) =>
        this.log.warn({ err: e.message, chroot: s.chroot }, 'apt cache use not recorded'),
      );
    return d;
  }

  private save(s: AptSession): void {
    try {
      saveSessionFile(s);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, chroot: s.chroot }, 'apt cache session not saved');
    }
  }

  private async adopt(fallbackLimit: number): Promise<void> {
    for (const s of await takeBack(this.overlayRoot, fallbackLimit, this.holds, this.log))
      this.map.set(this.key(s.chroot), s);
  }

  private async sweepNow(): Promise<void> {
    const inUse = new Set([...this.map.values()].map((s) => realOr(s.dirs.privateDir)));
    // Staged for a cache no build has attached now: it takes them at once, under its hold.
    await sweepLeftBehind(this.stateDir, this.overlayRoot, inUse, this.log, async (cache) => {
      if (!this.othersOn(cache)) await publishHeld(this.holds.of(cache), pendingDirFor(this.stateDir, cache), cache);
    });
  }

  /**
   * Sessions whose overlay is mounted nowhere any more (taken away with their chroot after a refused
   * detach) are ended as a detach ends them (their use recorded), and kept for that build's detach.
   */
  private async reap(): Promise<void> {
    for (const [key, s] of [...this.map.entries()]) {
      const upper = s.handle?.upper;
      if (!upper) continue;
      // Read again for each: a session put back meanwhile (after a mksquashfs) is mounted again.
      const mounts = await readMountinfo();
      if (mounts.some((m) => isOverlayOn(m, upper))) continue;
      // Ended only if its overlay is still mounted nowhere: a reap never unmounts.
      const d = await this.detachNow(key, s, true).catch((e: Error) => e);
      if (!(d instanceof Error) && d.sessionEnded)
        this.ended.remember(key, s, d, 'its overlay was mounted nowhere any more (taken away, e.g. by a teardown)');
      const what = d instanceof Error ? { err: d.message } : { staged: d.harvestedInto, ended: d.sessionEnded };
      this.log.info({ chroot: s.chroot, ...what }, 'ended an apt cache session whose overlay someone else took away');
    }
  }
}
