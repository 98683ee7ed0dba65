// The plain-data state of the deleting walk (shared by the walker, its checks and the threads).

export interface DeleteCtx {
  rootFd: number;
  rootPath: string;
  /** st_dev of the root (dev_t values fit a double exactly). */
  rootDev: number;
  rootMnt: number;
  mountPoints: string[];
  countBytes: boolean;
  relocateDepth: number;
}

export interface Frame {
  fd: number;
  name: string;
  /** Where it is now, and where it was before being split off (reports name both). */
  path: string;
  orig: string;
  /** Sub-folders still to enter, and other entries still to unlink; null until the folder was read. */
  dirs: string[] | null;
  files: string[];
  keep: boolean;
  /** Read again through the fd after rmdir found it not empty (a concurrent writer, a stale path). */
  rescanned?: boolean;
  /** Opened on another thread: handed back to be closed there (a worker may not close it). */
  foreign?: boolean;
}

export interface Tally {
  files: number;
  dirs: number;
  bytes: number;
}

export interface UnitState {
  /** Entry of the root this unit removes; null: the root itself (emptied, never removed here). */
  name: string | null;
  path: string;
  orig: string;
  started: boolean;
  stack: Frame[];
  /** Something in the unit stays, so the root cannot be removed. */
  keep: boolean;
  tally: Tally;
  skipped: { path: string; reason: string }[];
  errors: { path: string; op: string; code: string; message: string }[];
}

export interface WalkHooks {
  /** True when another thread waits for work: split a sub-folder off for it. */
  idle(): boolean;
  split(unit: UnitState): void;
  /** Closes (or hands back for closing) the fd of a finished foreign frame. */
  release(fd: number): void;
  /** True when this slice of work should stop (resumable). */
  yieldNow(): boolean;
}
