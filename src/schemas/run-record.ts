// Over 250 lines on purpose: the whole run record in one schema, the contract the report, dashboard and runs read.
// A run record: what `isoswarm run` stores at <stateDir>/runs/<runId>.json and `isoswarm report`
// renders. Loose objects throughout so that records written by a newer isoswarm still load.
import { z } from 'zod';
import { thresholdEventSchema as wireThresholdEventSchema } from './agents/monitor.js';

const num = z.number();
const count = z.number().int().nonnegative();

export const phaseSchema = z.looseObject({
  name: z.string(),
  startedAt: z.string(),
  /** Null when the run ended (crash, kill) inside this phase. */
  endedAt: z.string().nullable(),
  /** e.g. ok, failed, skipped, interrupted, running. */
  status: z.string(),
  /** Why a failed phase failed. */
  error: z.string().optional(),
});

export const diskSampleSchema = z.looseObject({ path: z.string(), usedPct: num, freeBytes: num });
export const tempSampleSchema = z.looseObject({ path: z.string(), bytes: num, files: num, complete: z.boolean() });
export const buildSampleSchema = z.looseObject({
  pid: z.number().int(),
  procs: num,
  cpuPct: num,
  rssBytes: num,
  readBytes: num,
  writeBytes: num,
  alive: z.boolean(),
});

export const sampleSchema = z.looseObject({
  /** Epoch milliseconds. */
  at: num,
  cpuPct: num,
  memPct: num,
  memUsedBytes: num,
  load1: num,
  disks: z.array(diskSampleSchema).default([]),
  temp: tempSampleSchema.nullable().default(null),
  build: buildSampleSchema.optional(),
  errors: z.array(z.string()).optional(),
});

/** A threshold event as a run record keeps it, read leniently: a record on disk is data, not a promise. */
export const thresholdEventSchema = z.looseObject({
  ...wireThresholdEventSchema.shape,
  metric: z.string(),
  level: z.string(),
  state: z.string().optional(),
});

const measurementSchema = z.looseObject({ timeMs: num, sizeBytes: num });

export const tuningSchema = z.looseObject({
  /** Environment variables exported into the build, e.g. PARALLEL_JOBS, MAKEFLAGS. */
  applied: z.record(z.string(), z.string()).default({}),
  choice: z.unknown().optional(),
  predicted: measurementSchema.nullish(),
  measured: measurementSchema.nullish(),
});

const processSchema = z.looseObject({ pid: z.number().int(), comm: z.string(), cmdline: z.string() });
const mountSchema = z.looseObject({ mountPoint: z.string(), fsType: z.string(), source: z.string() });

export const teardownSchema = z.looseObject({
  status: z.string(),
  target: z.string().nullable(),
  signalled: z
    .array(
      processSchema.extend({
        outcome: z.string(),
        signals: z.array(z.looseObject({ signal: z.string(), at: z.string() })).default([]),
        note: z.string().optional(),
      }),
    )
    .default([]),
  /** Mount points in the order they went. */
  unmounted: z.array(z.string()).default([]),
  attempts: z
    .array(mountSchema.extend({ strategy: z.string(), ok: z.boolean(), ms: num, error: z.string().optional() }))
    .optional(),
  detachedLoops: z
    .array(
      z.looseObject({
        device: z.string(),
        backingFile: z.string().nullable(),
        ok: z.boolean(),
        error: z.string().optional(),
      }),
    )
    .default([]),
  /** Processes outside the chroot using it: reported, never signalled. */
  holders: z.array(processSchema).default([]),
  /** Someone else's mounts under the target (the Unmounter's ForeignMount: {mount, reason}). */
  foreign: z.array(z.unknown()).default([]),
  remaining: z.array(mountSchema).default([]),
  usedLazy: z.boolean().default(false),
  durationMs: num,
  reason: z.string().optional(),
});

export const cleanTargetSchema = z.looseObject({
  path: z.string(),
  /** e.g. deleted, refused, failed, skipped. */
  status: z.string(),
  reason: z.string().optional(),
  deleted: z.looseObject({ files: count, dirs: count, bytes: num }).default({ files: 0, dirs: 0, bytes: 0 }),
});

export const cleanSchema = z.looseObject({ status: z.string(), targets: z.array(cleanTargetSchema).default([]) });

/** The host as pre-task found it: how many mounts, those under the chroot, free bytes where the chroot will be. */
export const checkpointSchema = z.looseObject({
  mountsTotal: count,
  mountsUnderChroot: z.array(z.string()),
  /** The same mounts with what they were (a bind shows its root): the teardown's note and the report name them. */
  mountsUnderChrootInfo: z
    .array(z.looseObject({ mountPoint: z.string(), fsType: z.string(), source: z.string(), root: z.string() }))
    .optional(),
  freeBytes: num.nullable(),
  /** The mount point of the file system `freeBytes` is of (the disk the Monitor names in its alerts). */
  fsMount: z.string().optional(),
});
/** Kernel settings the run changed (`--optimize-system`) and how they were restored. */
export const systemChangeSchema = z.looseObject({
  applied: z.array(z.string()).default([]),
  failed: z.array(z.looseObject({ name: z.string(), error: z.string() })).default([]),
});
export const systemRollbackSchema = z.looseObject({
  restored: z.array(z.string()).default([]),
  mismatched: z.array(z.unknown()).default([]),
});
/** The apt archive cache's use by this run (hits, misses, bytes, harvest). */
export const cacheUseSchema = z.looseObject({ cache: z.string(), hits: count, misses: count });
/** One mksquashfs call the shim saw: what was asked, what ran, predicted vs measured. */
export const squashfsCallSchema = z.looseObject({ callId: z.string() });
/** One lookup of the debootstrap root cache during the run: hit, miss or not cacheable, and why. */
export const rootLookupSchema = z.looseObject({ key: z.string(), outcome: z.string(), reason: z.string() });
/** Set when the runner (the CLI) died and the swarm finished the run. */
export const runnerLostSchema = z.looseObject({ at: z.string(), reason: z.string(), finishedBy: z.string() });

/** One stage of the build (a script's `phase` call or a builder's stage line) with what the Monitor saw during it. */
export const stageSchema = z.looseObject({
  name: z.string(),
  /** "phase" for a script's marks, else the builder that printed it (e.g. live-build). */
  source: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: num,
  /** Monitor samples taken during the stage; the figures below are null when there were none. */
  samples: count,
  /** Mean busy share of all CPUs, 0-100. */
  hostCpuPct: num.nullable(),
  /** Mean CPU of the build's process tree, percent of one core. */
  buildCpuPct: num.nullable(),
  readBytes: num.nullable(),
  writeBytes: num.nullable(),
});

export const keptSchema = z.looseObject({ path: z.string(), reason: z.string(), teardown: z.string() });

const phaseComparisonSchema = z.looseObject({
  phase: z.string(),
  ms: z.number(),
  earlierMs: z.number(),
  ratio: z.number(),
  verdict: z.string(),
});

export const runRecordSchema = z.looseObject({
  runId: z.string().min(1),
  name: z.string(),
  command: z.array(z.string()),
  chroot: z.string().nullable(),
  isolate: z.boolean(),
  host: z.string().optional(),
  startedAt: z.string(),
  /** Null while the run is still going. */
  endedAt: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  phases: z.array(phaseSchema).default([]),
  tuning: tuningSchema.nullable().default(null),
  samples: z.array(sampleSchema).default([]),
  events: z.array(thresholdEventSchema).default([]),
  teardown: teardownSchema.nullable().default(null),
  clean: cleanSchema.nullable().default(null),
  checkpoint: checkpointSchema.optional(),
  system: systemChangeSchema.optional(),
  systemRollback: systemRollbackSchema.optional(),
  cache: cacheUseSchema.optional(),
  squashfsCalls: z.array(squashfsCallSchema).optional(),
  rootCache: z.array(rootLookupSchema).optional(),
  runnerLost: runnerLostSchema.optional(),
  /** The chroot was kept (`--keep`, `--keep-on-failure`, or the live-build default): why, and how its teardown went. */
  kept: keptSchema.optional(),
  /** `--tmpfs-workdir`: the tmpfs mounted at the chroot for the build, its size and the basis of that size. */
  tmpfs: z
    .looseObject({
      path: z.string(),
      /** The mount's source name: marks it as this run's own. */
      source: z.string(),
      sizeBytes: num,
      basis: z.looseObject({ kind: z.string(), bytes: num, from: z.string() }),
      measuredBasis: z.looseObject({ kind: z.string(), bytes: num, from: z.string() }).nullable(),
      memAvailableBytes: num,
      needBytes: num,
      reason: z.string(),
      mountId: z.number().int().nullable(),
      /** What the tree took on it just before the teardown. */
      usedBytes: num.nullable(),
      unmounted: z.boolean().nullable(),
    })
    .optional(),
  /** The build's stages in order (from `phase` calls or the builder's own stage lines). */
  stages: z.array(stageSchema).optional(),
  /** This run against the earlier runs of its name on this host (optimization/performance-improvements). */
  comparison: z
    .looseObject({
      earlierRuns: z.number(),
      against: z.array(z.string()),
      total: phaseComparisonSchema,
      phases: z.array(phaseComparisonSchema),
      why: z.array(z.string()),
      /** The bare tool as the script asked it against what ran, where the sample measured both. */
      bareWhatIf: z
        .object({
          calls: z.array(
            z.object({
              askedLabel: z.string(),
              ranLabel: z.string(),
              askedMs: z.number(),
              ranPredictedMs: z.number(),
              ranMeasuredMs: z.number().nullable(),
              askedBytes: z.number().nullable(),
              ranBytes: z.number().nullable(),
            }),
          ),
          savedMs: z.number(),
        })
        .optional(),
    })
    .optional(),
  /** The builder recognised from the command (live-build, debootstrap, mmdebstrap, script). */
  builder: z.looseObject({ name: z.string(), why: z.string(), dir: z.string() }).optional(),
  /** A builder's own caches as this run used them (live-build's cache/: hits, misses, bytes). */
  builderCaches: z
    .array(
      z.looseObject({
        cache: z.string(),
        hits: count,
        misses: count,
        bytesSaved: num,
        bytesDownloaded: num,
        sizeBytes: num,
        tracking: z.string(),
      }),
    )
    .optional(),
  /** Memory keys written by this run, e.g. optimization/unmount-strategies/proc. */
  patternsUpdated: z.array(z.string()).default([]),
  notes: z.array(z.string()).default([]),
});

export type RunRecord = z.infer<typeof runRecordSchema>;
/** What a writer must provide (defaults fill the rest). */
export type RunRecordInput = z.input<typeof runRecordSchema>;
export type RunPhase = z.infer<typeof phaseSchema>;
export type RunSample = z.infer<typeof sampleSchema>;
export type RunEvent = z.infer<typeof thresholdEventSchema>;
export type RunTuning = z.infer<typeof tuningSchema>;
export type RunTeardown = z.infer<typeof teardownSchema>;
export type RunClean = z.infer<typeof cleanSchema>;
export type RunStage = z.infer<typeof stageSchema>;
export type RunCheckpoint = z.infer<typeof checkpointSchema>;

/** Validates a parsed record; the message names the first bad field. */
export function parseRunRecord(value: unknown): { ok: true; record: RunRecord } | { ok: false; message: string } {
  const r = runRecordSchema.safeParse(value);
  if (r.success) return { ok: true, record: r.data };
  const first = r.error.issues[0];
  const where = first?.path.length ? first.path.join('.') : '(record)';
  return { ok: false, message: `${where}: ${first?.message ?? 'invalid'}` };
}
