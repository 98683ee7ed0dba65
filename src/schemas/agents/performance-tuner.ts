// Over 250 lines on purpose: the tuner's whole wire contract: every endpoint's input and output in one file, as in the other services.
// The PerformanceTuner's wire contract: `tune`, `system`, the apt cache overlay (attach, detach,
// suspend, resume), `bootstrap`, and the mksquashfs shim's calls (advise, report, list).
import { z } from 'zod';

export const tuneModeSchema = z.enum(['auto', 'conservative', 'aggressive']);

export const tuneInput = z.object({
  target: z.string().min(1).max(4096).nullable().default(null),
  mode: tuneModeSchema.default('auto'),
  force: z.boolean().default(false),
  benchmark: z.boolean().default(false),
});

/** How the shim treats the options a script passed to mksquashfs (agents/performance-tuner/squashfs-policy.ts). */
export const squashPolicySchema = z.enum(['respect', 'fill', 'override']);

export const adviseInput = z.object({
  runId: z.string().min(1).max(200).nullable().default(null),
  cwd: z.string().min(1).max(4096),
  args: z.array(z.string().max(4096)).max(10_000),
  policy: squashPolicySchema.default('fill'),
  mode: tuneModeSchema.default('auto'),
  /** The options that would run without the tuner (a builder's default): anchors aggressive's size bound. */
  baseline: z.array(z.string().max(4096)).max(10_000).optional(),
  /** The asking process (the shim, on this host): the load window starts after it started. */
  pid: z.number().int().positive().optional(),
});
export const reportInput = z.object({
  callId: z.string().min(1).max(100),
  runId: z.string().min(1).max(200).nullable().default(null),
  wallMs: z.number().nonnegative(),
  cpuMs: z.number().nonnegative().nullable(),
  imageBytes: z.number().int().nonnegative().nullable(),
  exitCode: z.number().int(),
});
export const squashfsCallsInput = z.object({ runId: z.string().min(1).max(200).nullable().default(null) });

export const systemInput = z.object({
  action: z.enum(['apply', 'rollback', 'status']),
  buildDir: z.string().min(1).default('/'),
  dryRun: z.boolean().default(false),
});

export const cacheInput = z.object({
  chroot: z.string().min(1).max(4096),
  /** The run asking: a detach is answered with what ended this run's session, never an earlier run's. */
  runId: z.string().min(1).max(200).optional(),
});

export const bootstrapInput = z.object({
  target: z.string().min(1).max(4096),
  suite: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  mirror: z.string().regex(/^(https?|file):\/\/\S+$/),
  arch: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .default('amd64'),
  variant: z.enum(['minbase', 'buildd', 'fakechroot']).optional(),
  include: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/))
    .max(500)
    .default([]),
});

const squashChoiceSchema = z.object({
  comp: z.enum(['gzip', 'xz', 'zstd', 'lz4', 'lzo']),
  level: z.number().optional(),
  blockSize: z.number().optional(),
  bcj: z.literal('x86').optional(),
  processors: z.number(),
});
const predictionSchema = z.object({
  buildMs: z.number(),
  cpuMs: z.number().nullable(),
  imageBytes: z.number(),
  readBackMs: z.number(),
});
/** What a wall-time prediction rests on: calibrated CPU, processors, and the load seen then. */
const wallBasisSchema = z.object({
  model: z.literal('cpu-load'),
  wallMs: z.number(),
  usable: z.number(),
  excess: z.number(),
  slowdown: z.number(),
  effParallelism: z.number(),
  cpuFactor: z.number(),
  cpuPairs: z.number(),
  fit: z.object({ a: z.number(), b: z.number(), weight: z.number() }),
  loadPairs: z.number(),
  rawCpuMs: z.number(),
  cpuMs: z.number(),
  sampleWallMs: z.number(),
  processors: z.number(),
  nproc: z.number(),
  load1: z.number(),
  stealShare: z.number(),
  procsRunning: z.number().optional(),
  idleShare: z.number().nullable().optional(),
  load: z.number().optional(),
  loadBasis: z.enum(['recent', 'load1']).optional(),
  recentLoad: z.number().optional(),
  loadWindowMs: z.number().optional(),
  excludedMs: z.number().optional(),
});
const sampleRunSchema = z.object({
  label: z.string(),
  choice: squashChoiceSchema,
  level: z.enum(['sample', 'subsample']),
  sampleBytes: z.number(),
  uniqueBytes: z.number(),
  sampleFiles: z.number(),
  wallMs: z.number(),
  cpuMs: z.number().nullable(),
  imageBytes: z.number(),
  readBackMs: z.number(),
  runs: z.number(),
});
const nullableString = z.string().nullable();
const hostFingerprintSchema = z.object({
  id: z.string(),
  cpuModel: z.string(),
  cores: z.number(),
  threads: z.number(),
  memBytes: z.number(),
  disk: z.object({
    device: nullableString,
    model: nullableString,
    kind: nullableString,
    sizeBytes: z.number().nullable(),
  }),
  fs: z.object({ type: nullableString, mount: nullableString, source: nullableString }),
  kernel: z.string(),
  os: z.string(),
  tools: z.object({ mksquashfs: nullableString, xorriso: nullableString, zstd: nullableString, xz: nullableString }),
});
const hostBenchmarkSchema = z.object({
  cpuSha256MBps: z.number(),
  memCopyMBps: z.number(),
  diskWriteMBps: z.number(),
  diskReadMBps: z.number().nullable(),
  diskReadCached: z.boolean(),
  compressMBps: z.object({ gzip6: z.number(), zstd3: z.number().nullable(), xz6: z.number().nullable() }),
  durationMs: z.number(),
  at: z.string(),
});

/** Build settings as environment variables (PARALLEL_JOBS, MAKEFLAGS, MKSQUASHFS_OPTS, ...). */
const envSchema = z.record(z.string(), z.string());
/** A learned choice carries label, options and reason; a fresh measurement adds the choice and its prediction. */
const tuneChoiceSchema = z.object({
  label: z.string(),
  mksquashfsOpts: z.string(),
  reason: z.string(),
  choice: squashChoiceSchema.optional(),
  predicted: predictionSchema.optional(),
});

/** Without a tree: host resources, and the squashfs choice learned before on this host, if any. */
const fastTuneOutput = z.object({
  env: envSchema,
  exports: z.string(),
  choice: tuneChoiceSchema.nullable(),
  predicted: z.null(),
  fastPath: z.literal(true),
  candidates: z.tuple([]),
  reason: z.string(),
});

const measuredTuneOutput = z.object({
  env: envSchema,
  exports: z.string(),
  choice: tuneChoiceSchema,
  predicted: z.object({ timeMs: z.number(), sizeBytes: z.number() }).nullable(),
  fastPath: z.boolean(),
  reuse: z.object({ reusable: z.boolean(), reason: z.string() }),
  /** `run` is the remembered measurement, with what it predicted for the tree it was measured on. */
  candidates: z.array(
    z.object({
      label: z.string(),
      choice: squashChoiceSchema,
      run: sampleRunSchema.extend({ predicted: predictionSchema }),
      predicted: predictionSchema,
      /** The host's measured/predicted build-time factor applied to `predicted.buildMs`, when one was known. */
      timeFactor: z.number().optional(),
      /** The CPU-and-load basis of `predicted.buildMs` (a wall time at the load seen), when known. */
      wall: wallBasisSchema.optional(),
      /** The host's measured/predicted image-size factor applied to `predicted.imageBytes`, when one was known. */
      sizeFactor: z.number().optional(),
    }),
  ),
  decision: z.object({
    label: z.string(),
    mode: tuneModeSchema,
    reason: z.string(),
    scores: z.record(z.string(), z.number()),
  }),
  recommendation: z.object({
    parallelJobs: z.number(),
    makeflags: z.string(),
    xzDefaults: z.string(),
    zstdThreads: z.number(),
    mksquashfsOpts: z.string(),
    tmpfs: z.object({ recommended: z.boolean(), sizeBytes: z.number(), reason: z.string() }),
  }),
  durationMs: z.number(),
  key: z.string(),
  fingerprint: hostFingerprintSchema,
  benchmark: hostBenchmarkSchema.nullable(),
  reason: z.string(),
});

export const tuneOutput = z.union([fastTuneOutput, measuredTuneOutput]);

const settingKind = z.enum(['sysctl', 'governor', 'scheduler']);
const checkpointSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  pid: z.number(),
  entries: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      kind: settingKind,
      originalBase64: z.string(),
      restoreValue: z.string(),
    }),
  ),
});
const optimizeReportSchema = z.object({
  dryRun: z.boolean(),
  checkpointPath: z.string().nullable(),
  plan: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      kind: settingKind,
      current: nullableString,
      target: nullableString,
      action: z.enum(['change', 'keep', 'unavailable']),
      reason: z.string(),
    }),
  ),
  applied: z.array(z.string()),
  failed: z.array(z.object({ name: z.string(), error: z.string() })),
});
const rollbackReportSchema = z.object({
  checkpointPath: z.string(),
  restored: z.array(z.string()),
  unchanged: z.array(z.string()),
  mismatched: z.array(z.object({ name: z.string(), expected: z.string(), actual: nullableString })),
  checkpointRemoved: z.boolean(),
});

/** One key per action: status → checkpoint (null when none is pending), rollback, apply → optimize. */
export const systemOutput = z.union([
  z.strictObject({ checkpoint: checkpointSchema.nullable() }),
  z.strictObject({ rollback: rollbackReportSchema }),
  z.strictObject({ optimize: optimizeReportSchema }),
]);

export const cacheStatsSchema = z.object({
  cache: z.string(),
  hits: z.number(),
  misses: z.number(),
  bytesSaved: z.number(),
  bytesDownloaded: z.number(),
  evicted: z.number(),
  sizeBytes: z.number(),
  limitBytes: z.number(),
  tracking: z.enum(['atime', 'lookup', 'unavailable']),
});

const unbindSchema = z.object({ unmounted: z.boolean(), reason: z.string() });

/** The host cache is the overlay's read-only lower layer; upper, work and harvest live in `privateDir`. */
export const cacheAttachOutput = z.object({
  chroot: z.string(),
  cacheDir: z.string(),
  mountedAt: z.string().nullable(),
  privateDir: z.string(),
  layer: z.literal('overlay'),
});
export const cacheDetachOutput = z.object({
  unbind: unbindSchema,
  stats: cacheStatsSchema,
  /** Complete new .debs moved from the run-private layer into the host cache. */
  harvest: z.object({
    /** How each was checked: against the chroot's Packages index (size and sha256), or by dpkg-deb without one. */
    harvested: z.array(
      z.object({ name: z.string(), size: z.number(), check: z.enum(['packages-sha256', 'dpkg-deb']) }),
    ),
    rejected: z.array(z.object({ name: z.string(), reason: z.string() })),
    alreadyCached: z.array(z.string()),
  }),
  /** 'staged': another build had the cache attached (its lower layer); they go in with the last detach. */
  harvestedInto: z.enum(['cache', 'staged']),
  /** False while the overlay is still mounted (the unmount failed): a detach again ends it. */
  sessionEnded: z.boolean(),
  /** Staged by earlier detaches and moved into the cache by this one, the last to let go. */
  published: z
    .object({
      published: z.array(z.object({ name: z.string(), size: z.number() })),
      alreadyCached: z.array(z.string()),
      failed: z.array(z.object({ name: z.string(), reason: z.string() })),
    })
    .optional(),
  privateDirRemoved: z.boolean(),
  privateDirError: z.string().optional(),
  /** The session had ended before this detach (a reap, its overlay taken away): what it counted then. */
  endedEarlier: z.object({ at: z.string(), reason: z.string() }).optional(),
});
export const cacheSuspendOutput = z.object({ suspended: z.boolean(), reason: z.string() });
export const cacheResumeOutput = z.union([
  z.strictObject({ resumed: z.literal(false), reason: z.string() }),
  z.strictObject({ resumed: z.literal(true), mountedAt: z.string() }),
]);

/** One mksquashfs call the shim saw: what the script asked, what ran, predicted and measured. */
export const squashCallSchema = z.object({
  callId: z.string(),
  runId: z.string().nullable(),
  at: z.string(),
  source: z.string().nullable(),
  asked: z.array(z.string()),
  ran: z.array(z.string()),
  policy: squashPolicySchema,
  mode: tuneModeSchema,
  changed: z.array(z.string()),
  tuned: z
    .object({
      label: z.string(),
      mksquashfsOpts: z.string(),
      reason: z.string(),
      fastPath: z.boolean(),
      reuse: z.string(),
      tuneMs: z.number(),
      key: z.string(),
    })
    .nullable(),
  predicted: z
    .object({
      label: z.string(),
      buildMs: z.number(),
      imageBytes: z.number(),
      /** The host's time factor already in buildMs (a calibration pair stores the prediction before it). */
      timeFactor: z.number().optional(),
      cpuMs: z.number().nullable().optional(),
      wall: wallBasisSchema.optional(),
      /** The host's size factor already in imageBytes (a calibration pair stores the prediction before it). */
      sizeFactor: z.number().optional(),
    })
    .nullable(),
  whatIf: z
    .object({
      askedLabel: z.string(),
      askedMs: z.number().nullable(),
      askedBytes: z.number().nullable(),
      tunedMs: z.number(),
      tunedBytes: z.number(),
      note: z.string(),
    })
    .nullable(),
  measured: z
    .object({
      wallMs: z.number(),
      cpuMs: z.number().nullable(),
      imageBytes: z.number().nullable(),
      exitCode: z.number(),
    })
    .nullable(),
  /** Chroots whose apt cache overlay was taken out for this call. */
  cacheSuspended: z.array(z.string()),
  /** The build's own setting, measured on the sample, that anchored aggressive's size bound. */
  baseline: z.string().nullable().optional(),
  note: z.string().optional(),
});
export const squashfsAdviseOutput = squashCallSchema;
export const squashfsReportOutput = z.object({ call: squashCallSchema, resumed: z.array(z.string()) });
export const squashfsCallsOutput = z.object({ calls: z.array(squashCallSchema) });

export const bootstrapOutput = z.object({
  target: z.string(),
  spec: z.object({
    suite: z.string(),
    arch: z.string(),
    variant: z.string().optional(),
    mirror: z.string(),
    include: z.array(z.string()).optional(),
  }),
  cache: z.enum(['hit', 'miss']),
  tarball: z.string(),
  makeMs: z.number().nullable(),
  unpackMs: z.number(),
  stats: cacheStatsSchema,
});

export type TuneInput = z.input<typeof tuneInput>;
export type TuneOutput = z.infer<typeof tuneOutput>;
export type SystemInput = z.input<typeof systemInput>;
export type SystemOutput = z.infer<typeof systemOutput>;
export type CacheInput = z.input<typeof cacheInput>;
export type CacheAttachOutput = z.infer<typeof cacheAttachOutput>;
export type CacheDetachOutput = z.infer<typeof cacheDetachOutput>;
export type BootstrapInput = z.input<typeof bootstrapInput>;
export type BootstrapOutput = z.infer<typeof bootstrapOutput>;
export type CacheSuspendOutput = z.infer<typeof cacheSuspendOutput>;
export type CacheResumeOutput = z.infer<typeof cacheResumeOutput>;
export type AdviseInput = z.input<typeof adviseInput>;
export type ReportInput = z.input<typeof reportInput>;
export type SquashCallReply = z.infer<typeof squashCallSchema>;
