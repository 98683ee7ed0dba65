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
