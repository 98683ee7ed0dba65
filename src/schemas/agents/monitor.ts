// What the Monitor publishes when a threshold is crossed (durable, consumed by the coordinator's
// reactor and kept in run records). The one definition of a threshold event.
import { z } from 'zod';

export const metricSchema = z.enum(['disk', 'memory', 'temp']);
export const levelSchema = z.enum(['warning', 'emergency']);
export const levelStateSchema = z.enum(['ok', 'warning', 'emergency']);

export type Metric = z.infer<typeof metricSchema>;
export type Level = z.infer<typeof levelSchema>;
export type LevelState = z.infer<typeof levelStateSchema>;

export const thresholdEventSchema = z.object({
  kind: z.enum(['alert', 'recovery']),
  metric: metricSchema,
  /** What was measured: a disk's path, the temp dir, or 'memory'. */
  subject: z.string(),
  /** alert: the level entered; recovery: the highest level that cleared. */
  level: levelSchema,
  /** The state after this event ('warning' after an emergency clears to a warning). */
  state: levelStateSchema,
  value: z.number(),
  /** The threshold of `level`. */
  threshold: z.number(),
  /** Epoch milliseconds. */
  at: z.number(),
});

export type ThresholdEvent = z.infer<typeof thresholdEventSchema>;

export const monitorRunInput = z.object({ runId: z.string().min(1).max(200) });
export const snapshotInput = z.strictObject({});
export const watchInput = monitorRunInput.extend({
  pid: z.number().int().positive().nullable().default(null),
  /** Extra paths whose file systems are watched while the run lasts (its chroot's). */
  disks: z.array(z.string().startsWith('/').max(4096)).max(8).default([]),
});
export const samplesInput = monitorRunInput.extend({ stop: z.boolean().default(false) });

export const wireSampleSchema = z.object({
  /** Epoch milliseconds. */
  at: z.number(),
  cpuPct: z.number(),
  memPct: z.number(),
  memUsedBytes: z.number(),
  load1: z.number(),
  disks: z.array(z.object({ path: z.string(), usedPct: z.number(), freeBytes: z.number() })),
  temp: z
    .object({
      path: z.string(),
      bytes: z.number(),
      files: z.number(),
      complete: z.boolean(),
      stalenessMs: z.number().nullable(),
    })
    .nullable(),
  build: z
    .object({
      pid: z.number(),
      procs: z.number(),
      cpuPct: z.number(),
      rssBytes: z.number(),
      readBytes: z.number(),
      writeBytes: z.number(),
      alive: z.boolean(),
    })
    .optional(),
  errors: z.array(z.string()).optional(),
});

/** Threshold state per `metric:subject` (keys depend on the watched disks). */
export const thresholdStateSchema = z.record(
  z.string(),
  z.object({
    state: levelStateSchema,
    lastAlertAt: z.object({ warning: z.number().optional(), emergency: z.number().optional() }),
  }),
);

export const snapshotOutput = z.object({ sample: wireSampleSchema, thresholds: thresholdStateSchema });
export const watchOutput = z.object({ runId: z.string(), startedAt: z.number() });
export const samplesOutput = z.object({
  runId: z.string(),
  pid: z.number().nullable(),
  startedAt: z.number(),
  samples: z.array(wireSampleSchema),
  /** Null until the first sample. */
  summary: wireSampleSchema.nullable(),
  events: z.array(thresholdEventSchema),
});

export type WireSample = z.infer<typeof wireSampleSchema>;
export type SnapshotOutput = z.infer<typeof snapshotOutput>;
export type WatchInput = z.input<typeof watchInput>;
export type WatchOutput = z.infer<typeof watchOutput>;
export type SamplesInput = z.input<typeof samplesInput>;
export type SamplesOutput = z.infer<typeof samplesOutput>;
