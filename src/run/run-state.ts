// What one run is: its options, its outcome, and the state every phase of it shares.
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { mountOf } from '../host/mounts/fs-place.js';
import { isAtOrUnder } from '../host/fs/paths.js';
import type { RouteInput, RouteName, RouteReply } from '../schemas/agents/contracts.js';
import type { Config } from '../schemas/config.js';
import type { RunCheckpoint, RunRecordInput } from '../schemas/run-record.js';
import type { BuildExit } from './build-process.js';
import { Phases } from './phases.js';
import type { CoordinatorCall } from './teardown-then-clean.js';
import type { BuilderInfo } from '../builders/detect.js';
import { type BuilderState } from './builder-state.js';

export interface RunOptions {
  command: string[];
  chroot: string | null;
  isolate: boolean;
  keepOnFailure: boolean;
  /** Keep the chroot whatever the outcome (unmounted, processes ended): `--keep` or a builder's default. */
  keep?: { reason: string } | null;
  name: string;
  /** The builder recognised from the command (src/builders): its stages and caches are read after the build. */
  builder?: BuilderInfo | null;
  tune: boolean;
  /** Bind the apt archive cache into the chroot for the build and count its hits. */
  aptCache: boolean;
  /** Tune the host's kernel settings for the build (checkpointed; restored after it). */
  optimizeSystem: boolean;
  /** What the mksquashfs shim does with options the build passes itself (default fill). */
  squashfs?: 'respect' | 'fill' | 'override';
  /** The debootstrap shim restores and stores roots (default true; `--no-root-cache`). */
  rootCache?: boolean;
  json: boolean;
  /** `--tmpfs-workdir`: the chroot on a tmpfs of the run's own (size null: from the chroot's last measured run). */
  tmpfsWorkdir?: { sizeBytes: number | null; notKept?: string } | null;
  /** Chroots that interrupted runs left mounts or processes under: torn down before pre-task. */
  recover?: string[];
  /** The state dir: the run registry lives in it. */
  stateRoot: string;
  say: (m: string) => void;
}

export interface RunOutcome {
  record: RunRecordInput;
  exit: BuildExit | null;
  /** The run's registry entry (null when the build never started). */
  dir: string | null;
  /** This runner's lease had lapsed: a coordinator does post-task and writes the record. */
  takenOver: boolean;
}

/** The build disk is the one the chroot will be on: its nearest existing ancestor tells. */
export function existingAncestor(p: string): string {
  let d = p;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export function newRunId(name: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60) || 'run'}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function checkpoint(chroot: string | null): Promise<RunCheckpoint> {
  const mounts = await readMountinfo();
  // By the chroot's real path: mountinfo names real paths (and so does the teardown's record).
  let real = chroot;
  try {
    if (chroot) real = realpathSync(chroot);
  } catch {
    /* not there yet: nothing can be mounted under it */
  }
  const underMounts = real ? mounts.filter((m) => isAtOrUnder(m.mountPoint, real)) : [];
  const under = underMounts.map((m) => m.mountPoint);
  const info = underMounts.map((m) => ({ mountPoint: m.mountPoint, fsType: m.fsType, source: m.source, root: m.root }));
  let freeBytes: number | null = null;
  const where = chroot ? existingAncestor(chroot) : '/';
  try {
    const s = statfsSync(where);
    freeBytes = s.bavail * s.bsize;
  } catch {
    /* reported as unknown */
  }
  // By its real path: statfs followed any symlink on the way, mountinfo names real paths.
  let fsMount: string | undefined;
  try {
    fsMount = mountOf(realpathSync(where), mounts)?.mountPoint;
  } catch {
    /* unknown: the lesson falls back to its first sample */
  }
  return {
    mountsTotal: mounts.length,
    mountsUnderChroot: under,
    mountsUnderChrootInfo: info,
    freeBytes,
    ...(fsMount ? { fsMount } : {}),
  };
}

/** What every phase of one run shares: the way to the swarm, the record being written, its notes. */
export interface RunState {
  config: Config;
  opts: RunOptions;
  runId: string;
  call: CoordinatorCall;
  /** A coordinator endpoint by route: payload and reply typed by its contract. */
  route: <R extends RouteName>(route: R, payload: RouteInput<R>) => Promise<RouteReply<R>>;
  phases: Phases;
  record: RunRecordInput;
  notes: string[];
  patterns: Set<string>;
  /** The build's environment: tuning adds to it. */
  env: NodeJS.ProcessEnv;
  /** Kernel settings were changed for the build (rolled back in post-task). */
  systemApplied: boolean;
  soft<T>(what: string, fn: () => Promise<T>): Promise<T | null>;
  /** The run's registry entry, once registered (just before the build). */
  dir: string | null;
  /** The recognised builder and, for live-build, its cache before the build. */
  builderState: BuilderState | null;
  /** The run's build lock on its chroot (chroot-lock.ts), let go once the guardian holds its own. */
  chrootLock?: { release(): Promise<void> } | null;
}
