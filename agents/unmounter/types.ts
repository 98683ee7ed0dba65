// Plain data shapes of the Unmounter's plan and result (JSON-safe: they cross the bus and the journal).
import type { ForeignMount } from '../../src/host/mounts/foreign-mounts.js';
import type { LogLike } from '../../src/host/log-like.js';
import type { LoopDevice } from '../../src/host/mounts/loop-devices.js';
import type { MountEntry } from '../../src/host/mounts/mountinfo.js';
import type { PathPolicy, RefusalCode } from '../../src/host/guard/path-policy.js';
import type { Holder, ProcessInfo } from '../../src/host/proc/proc-scan.js';
import type { TerminationRecord } from '../../src/host/proc/terminate.js';
import type { Strategy, UnmountAttempt } from '../../src/host/mounts/unmount.js';

export type { ForeignMount, Holder, LoopDevice, MountEntry, ProcessInfo, Strategy, TerminationRecord, UnmountAttempt };

export interface TeardownPlan {
  /** The target exactly as the caller gave it. */
  input: string;
  /** Canonical path and "dev:ino" when resolution and the policy allowed it. */
  target: { path: string; fileId: string } | null;
  /** Set when the target is refused: nothing will be done. */
  refused: { code: RefusalCode | 'locked'; reason: string } | null;
  /** Processes rooted in the chroot: they get SIGTERM, then SIGKILL. */
  processes: ProcessInfo[];
  /** Processes outside the chroot using files inside it: reported only, never signalled. */
  holders: Holder[];
  /** The build's own mounts, in the order they will be unmounted (children first). */
  mounts: MountEntry[];
  /** Someone else's mounts under the target: left mounted, so the teardown cannot finish. */
  foreign: ForeignMount[];
  /** Loop devices backed by files inside the target, detached after unmounting. */
  loops: LoopDevice[];
  createdAt: string;
}

export interface Journal {
  begin(step: object): Promise<void>;
  done(step: object): Promise<void>;
}

export interface ApplyOptions {
  /** Checked again here: the plan's verdict is never trusted. */
  policy: PathPolicy;
  /** Home directories to protect; read from /etc/passwd when omitted. */
  homes?: string[];
  journal?: Journal;
  strategyOrder?: (fsType: string, source: string) => Strategy[];
  /** How long umount-after-settle waits after sync (default 200 ms). */
  settleMs?: number;
  graceMs?: number;
  allowLazy?: boolean;
  /**
   * Where a lazy detach is recorded per target before it happens (the agent's journal dir): the
   * Cleaner refuses the tree until the detached mounts are no longer in use. Without it, no lazy detach.
   */
  lazyMarkerDir?: string;
  /** Called after every umount attempt (progress, tests). */
  onAttempt?: (a: UnmountAttempt) => void;
  log?: LogLike;
}

export interface DetachedLoop {
  device: string;
  backingFile: string | null;
  ok: boolean;
  error?: string;
}

export interface TeardownResult {
  status: 'done' | 'refused' | 'failed';
  target: string | null;
  signalled: TerminationRecord[];
  /** Mount points unmounted, in the order they went. */
  unmounted: string[];
  attempts: UnmountAttempt[];
  detachedLoops: DetachedLoop[];
  holders: Holder[];
  foreign: ForeignMount[];
  /** Still mounted under the target at the end (deletion must not start while this is non-empty). */
  remaining: MountEntry[];
  /** A lazy detach was used: the tree may still be reachable, so the run must not delete. */
  usedLazy: boolean;
  durationMs: number;
  reason?: string;
  /** Why nothing was done, as data (set only when status is refused). */
  refusal?: { code: string; reason: string };
}
