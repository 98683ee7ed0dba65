// Over 250 lines on purpose: every change to the sessions goes through one queue, kept in one class.
// The builds that have the apt cache attached, as this tuner serves them: one session per chroot, one
// hold per cache dir for all its builds (apt-cache-hold.ts), packages staged while the cache is another build's
// lower layer (apt-pending.ts), and the sessions a tuner started again takes back (apt-session-file.ts).
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { AptCacheHold } from './apt-cache-hold.js';
import { pendingDirFor } from './apt-pending.js';
import { publishHeld, sweepOrphans } from './apt-orphans.js';
import { adoptMountedSessions, saveSessionFile } from './apt-session-file.js';
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
} from './caches.js';
import type { UnbindResult } from '../../src/host/mounts/cache-bind.js';
import type { OverlayHandle } from '../../src/host/cache/overlay.js';

export class AptSessions {
  private readonly map = new Map<string, AptSession>();
  /** One hold per cache dir (by real path): the configured dir may change across a restart. */
  private readonly holds = new Map<string, AptCacheHold>();
  /** Sessions counted in the hold (a session taken back while a cleanup held the cache is not). */
  private readonly holding = new WeakSet<AptSession>();
  /** Settles once sessions still mounted from before this process are taken back. */
  readonly ready: Promise<void>;
  /** Settles once the dirs an earlier tuner left unmounted are swept (after ready). */
  readonly swept: Promise<void>;
  /** Until then, the cache is not known to be free (busy() says so). */
  private adopting = true;
  /** Attach, detach and taking back run one at a time: "the last build to let go" is then exact. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly log: AgentContext['log'],
    fallbackLimit: number,
    /** Remove what an earlier tuner left unmounted (not in a dry-run swarm, which changes nothing). */
    private readonly sweep = true,
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
  key(chroot: string): string {
    return realOr(chroot);
  }

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

  private holdFor(realDir: string): AptCacheHold {
    let h = this.holds.get(realDir);
    if (!h) this.holds.set(realDir, (h = new AptCacheHold()));
    return h;
  }

  /** Another session has `realDir` as its overlay's lower layer. */
  private othersOn(realDir: string): boolean {
    return [...this.map.values()].some((o) => o.dir === realDir);
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
  ): Promise<AptSession | 'locked' | 'attached' | 'late'> {
    return this.serial(() => this.attachNow(dir, chroot, limitBytes, privateDir, deadline));
  }

  private async attachNow(
    dir: string,
    chroot: string,
    limitBytes: number,
    privateDir: string,
    deadline: number,
  ): Promise<AptSession | 'locked' | 'attached' | 'late'> {
    if (Date.now() > deadline) return 'late';
    await this.reap();
    if (this.map.has(chroot)) return 'attached';
    const real = realpathSync(dir);
    if (!(await this.holdFor(real).take(real))) return 'locked';
    if (Date.now() > deadline) {
      await this.holdFor(real).release();
      return 'late';
    }
    let s: AptSession;
    try {
      s = await attachAptCache(real, chroot, limitBytes, privateDir, this.othersOn(real));
    } catch (e) {
      await this.holdFor(real).release();
      throw e;
    }
    for (const o of this.map.values()) if (o.dir === real && !o.overlapped) this.mark(o);
    this.holding.add(s);
    this.map.set(chroot, s);
    this.save(s);
    return s;
  }

  /** Takes the overlay out of the chroot (for a mksquashfs of it), in turn with attach and detach. */
  suspend(s: AptSession): Promise<UnbindResult> {
    return this.serial(() => suspendAptCache(s));
  }

  /** Puts a suspended overlay back, in turn with attach and detach. */
  resume(s: AptSession): Promise<OverlayHandle> {
    return this.serial(() => resumeAptCache(s));
  }

  /** Detaches `key`'s session; it stays (and its hold) when its overlay could not be unmounted. */
  detach(key: string, s: AptSession): Promise<AptDetach> {
    return this.serial(async () => {
      await this.reap(s);
      return this.detachNow(key, s);
    });
  }

  private async detachNow(key: string, s: AptSession, onlyIfGone = false): Promise<AptDetach> {
    // A retry queued behind a new attach of the same chroot must not end the new session.
    if (this.map.get(key) !== s) throw new Error(`the apt cache session of ${key} ended already`);
    this.map.delete(key);
    try {
      return await detachAptCache(s, {
        last: !this.othersOn(s.dir),
        pendingDir: pendingDirFor(this.stateDir, s.dir),
        onlyIfGone,
      });
    } finally {
      if (s.handle) this.map.set(key, s);
      else if (this.holding.has(s)) {
        this.holding.delete(s);
        await this.holdFor(s.dir).release();
      }
    }
  }

  private mark(s: AptSession): void {
    s.overlapped = true;
    this.save(s);
  }

  private save(s: AptSession): void {
    try {
      saveSessionFile(s);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, chroot: s.chroot }, 'apt cache session not saved');
    }
  }

  private async adopt(fallbackLimit: number): Promise<void> {
    for (const { session: s, fileProblem } of await adoptMountedSessions(this.overlayRoot, fallbackLimit)) {
      if (await this.holdFor(s.dir).take(s.dir)) this.holding.add(s);
      else this.log.warn({ cache: s.dir }, 'the apt cache is locked by a cleanup while a build has it mounted');
      this.map.set(this.key(s.chroot), s);
      this.log.info(
        { chroot: s.chroot, cache: s.dir, ...(fileProblem ? { countsLost: fileProblem } : {}) },
        'took back an apt cache overlay mounted before this start',
      );
    }
  }

  private async sweepNow(): Promise<void> {
    const inUse = new Set([...this.map.values()].map((s) => realOr(s.dirs.privateDir)));
    const swept = await sweepOrphans(this.stateDir, this.overlayRoot, inUse);
    if (swept.removed.length)
      this.log.info({ removed: swept.removed }, 'removed apt overlay dirs left unmounted by an earlier tuner');
    for (const f of swept.failed) this.log.warn(f, 'an apt overlay dir left behind could not be removed');
    // Staged for a cache no build has attached now: it takes them at once, under its hold.
    for (const cache of swept.caches)
      if (!this.othersOn(cache)) await publishHeld(this.holdFor(cache), pendingDirFor(this.stateDir, cache), cache);
  }

  /**
   * Sessions whose overlay is mounted nowhere any more (taken away with their chroot after a refused
   * detach) are ended: nothing of theirs is mounted, their hold goes.
   */
  private async reap(except?: AptSession): Promise<void> {
    for (const [key, s] of [...this.map.entries()]) {
      const upper = s === except ? undefined : s.handle?.upper;
      if (!upper) continue;
      // Read again for each: a session put back meanwhile (after a mksquashfs) is mounted again.
      const mounts = await readMountinfo();
      if (mounts.some((m) => isOverlayOn(m, upper))) continue;
      // Ended only if its overlay is still mounted nowhere: a reap never unmounts.
      const d = await this.detachNow(key, s, true).catch((e: Error) => e);
      this.log.info(
        {
          chroot: s.chroot,
          ...(d instanceof Error ? { err: d.message } : { staged: d.harvestedInto, ended: d.sessionEnded }),
        },
        'ended an apt cache session whose overlay someone else took away',
      );
    }
  }
}
