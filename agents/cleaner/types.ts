// Plain data shapes of the Cleaner's plan and result (JSON-safe: they cross the bus and are printed).
import type { EvictionPlan, FileCandidate, TempPlan } from '../../src/host/cache/cache-evict.js';
import type { LogLike } from '../../src/host/log-like.js';
import type { PathPolicy, RefusalCode } from '../../src/host/guard/path-policy.js';
import type { LockFile } from '../../src/host/walk/stale-locks.js';
import type { TreeSize } from '../../src/host/walk/tree-size.js';
import type { CleanupTarget } from '../../src/schemas/config.js';
import type { CleanPrediction } from '../../src/learning/cleanup-predict.js';

export type { EvictionPlan, FileCandidate, LockFile, TempPlan, TreeSize };

/** A clean target as the wire and the config carry it (one definition: cleanupTargetSchema). */
export type CleanTargetInput = CleanupTarget;
export type CleanKind = CleanupTarget['kind'];

export interface MountReport {
  mountPoint: string;
  fsType: string;
  source: string;
}

export type CleanRefusalCode =
  RefusalCode | 'mounted' | 'pseudo-fs' | 'invalid' | 'changed' | 'locked' | 'lazy-detached';

export type CleanAction =
  | { type: 'delete-tree'; size: TreeSize }
  | { type: 'evict'; plan: EvictionPlan }
  | { type: 'remove-temp'; plan: TempPlan }
  | { type: 'remove-locks'; locks: LockFile[]; notStale: LockFile[]; certain: boolean }
  /** Nothing to do here now (e.g. the tree is already gone); a run still finishes interrupted work. */
  | { type: 'none'; why: string };

export interface CleanTargetPlan {
  input: CleanTargetInput;
  /** Canonical path and "dev:ino" when resolution and the policy allowed it. */
  target: { path: string; fileId: string } | null;
  refused: { code: CleanRefusalCode; reason: string } | null;
  /** Everything mounted at or below the target (any of it refuses the target). */
  mounts: MountReport[];
  action: CleanAction | null;
  /** What the last cleans of this target measured (optimization/cleanup-success), when there were any. */
  prediction?: CleanPrediction | null;
}

export interface CleanPlan {
  targets: CleanTargetPlan[];
  createdAt: string;
}

export interface CleanProgress {
  path: string;
  files: number;
  bytes: number;
}

export interface ApplyCleanOptions {
  /** `<stateDir>/journal/cleaner`. */
  journalDir: string;
  /**
   * The Unmounter's journal dir (`<stateDir>/journal/unmounter`), where it records lazy detaches;
   * by default the `unmounter` sibling of journalDir. A tree overlapping a recorded lazy detach is
   * refused ('lazy-detached') while a process still uses the detached mounts.
   */
  lazyMarkerDir?: string;
  /** Checked again here for every target: the plan's verdict is never trusted. */
  policy: PathPolicy;
  /** The run whose own build asks (its build lock does not refuse it). */
  forRun?: string;
  /** Home directories to protect; read from /etc/passwd when omitted. */
  homes?: string[];
  onProgress?(p: CleanProgress): void;
  /** Deleter threads per tree path, as the target's record chose them (else the deleter's default). */
  threads?: Map<string, { threads: number; eager: boolean }>;
  log?: LogLike;
}

export interface Deleted {
  files: number;
  dirs: number;
  bytes: number;
}

export interface CleanTargetResult {
  path: string;
  kind: CleanKind;
  status: 'done' | 'refused' | 'failed';
  code?: CleanRefusalCode;
  reason?: string;
  deleted: Deleted;
  skipped: { path: string; reason: string }[];
  errors?: { path: string; code: string; message: string }[];
  /** Trash left by an interrupted earlier run and finished now. */
  resumed?: { trash: string[]; deleted: Deleted };
  mounts?: MountReport[];
  /** Time spent on this target. */
  durationMs?: number;
  /** Deleter threads that took part (trees only). */
  threads?: number;
  /** What the deleter was asked for when the target's record chose it (else its defaults). */
  threadsPlanned?: { threads: number; eager: boolean };
}

export interface CleanResult {
  status: 'done' | 'refused' | 'failed';
  targets: CleanTargetResult[];
  durationMs: number;
}
