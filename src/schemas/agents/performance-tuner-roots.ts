// The PerformanceTuner's cache contracts beside the apt overlay: the debootstrap shim's root result
// cache (advise, store, the calls of a run) and `isoswarm cache ls|why|prune`.
import { z } from 'zod';
import { cacheStatsSchema } from './performance-tuner.js';

export const rootAdviseInput = z.object({
  runId: z.string().min(1).max(200).nullable().default(null),
  cwd: z.string().min(1).max(4096),
  args: z.array(z.string().max(4096)).max(10_000),
  toolVersion: z.string().max(200),
  debootstrapDir: z.string().max(4096).nullable().default(null),
});

export const rootCallSchema = z.object({
  callId: z.string(),
  runId: z.string().nullable(),
  action: z.enum(['restored', 'run']),
  cacheable: z.boolean(),
  key: z.string().nullable(),
  target: z.string().nullable(),
  reason: z.string(),
  restoreMs: z.number().nullable(),
  bytes: z.number().nullable(),
  madeInMs: z.number().nullable(),
});
export const rootAdviseOutput = rootCallSchema;

export const rootStoreInput = z.object({
  callId: z.string().min(1).max(100),
  exitCode: z.number().int(),
  wallMs: z.number().nonnegative(),
});
export const rootStoreOutput = z.object({
  stored: z.boolean(),
  reason: z.string(),
  key: z.string().nullable(),
  sha256: z.string().nullable(),
  bytes: z.number().nullable(),
  packMs: z.number().nullable(),
  evicted: z.array(z.string()),
  stats: cacheStatsSchema.nullable(),
});

const fieldDiff = z.object({ field: z.string(), stored: z.unknown(), now: z.unknown() });
export const rootLookupSchema = z.object({
  key: z.string(),
  at: z.string(),
  target: z.string(),
  runId: z.string().nullable().optional(),
  outcome: z.enum(['hit', 'miss', 'uncacheable']),
  reason: z.string(),
  spec: z.record(z.string(), z.unknown()).nullable(),
  nearest: z.object({ key: z.string(), differs: z.array(fieldDiff) }).nullable(),
  restoreMs: z.number().optional(),
  bytes: z.number().optional(),
});
export const rootCallsInput = z.object({ runId: z.string().min(1).max(200) });
export const rootCallsOutput = z.object({ lookups: z.array(rootLookupSchema) });

export type RootAdviseInput = z.input<typeof rootAdviseInput>;
export type RootCallReply = z.infer<typeof rootCallSchema>;
