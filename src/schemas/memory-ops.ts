// Wire messages of the coordinator's memory endpoints (and the learning events agents send).
import { z } from 'zod';
import { memoryKeySchema } from './memory-records.js';

export const keyInput = z.object({ key: memoryKeySchema });
export const setInput = z.object({
  key: memoryKeySchema,
  value: z.unknown().refine((v) => v !== undefined, 'value is required'),
});
export const listInput = z.object({
  prefix: z.string().default(''),
  limit: z.number().int().positive().max(1_000_000).optional(),
});
export const queryInput = z.object({
  prefix: z.string().default(''),
  where: z.array(z.string()).default([]),
  limit: z.number().int().positive().optional(),
});
export const entrySchema = z.object({ key: memoryKeySchema, value: z.unknown(), updatedAt: z.string().optional() });
export const importInput = z.object({ entries: z.array(entrySchema).max(100_000) });

export const learningEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('unmount-attempt'),
    fsType: z.string().min(1),
    source: z.string().max(4096).optional(),
    strategy: z.string().min(1),
    ok: z.boolean(),
    ms: z.number().nonnegative(),
    error: z.string().optional(),
  }),
  z.object({
    kind: z.literal('cleanup-outcome'),
    target: z.string().min(1),
    status: z.enum(['done', 'refused', 'failed']),
    bytesFreed: z.number().nonnegative(),
    durationMs: z.number().nonnegative(),
    files: z.number().int().nonnegative().optional(),
    threads: z.number().int().nonnegative().optional(),
  }),
  z.object({
    kind: z.literal('cache-use'),
    cache: z.string().min(1),
    hits: z.number().int().nonnegative(),
    misses: z.number().int().nonnegative(),
    bytesSaved: z.number().nonnegative(),
    bytesDownloaded: z.number().nonnegative().default(0),
    evicted: z.number().int().nonnegative().default(0),
    sizeBytes: z.number().nonnegative().default(0),
    limitBytes: z.number().nonnegative().default(0),
    tracking: z.enum(['atime', 'lookup', 'unavailable']).default('unavailable'),
  }),
  z.object({
    kind: z.literal('summary'),
    name: z.enum(['cleanup-procedures', 'performance-improvements', 'error-prevention', 'resource-management']),
    entry: z.record(z.string(), z.unknown()),
    counts: z.record(z.string(), z.number()).default({}),
  }),
  z.object({ kind: z.literal('put'), key: memoryKeySchema, value: z.unknown() }),
  /** A stored pattern changed a decision: kept under decisions/<key> with its evidence. */
  z.object({
    kind: z.literal('decision'),
    key: memoryKeySchema.refine((k) => k.startsWith('optimization/'), 'decisions are about optimization/ keys'),
    by: z.string().min(1).max(64),
    decision: z.string().min(1).max(500),
    evidence: z.record(z.string(), z.unknown()).default({}),
    default: z.string().max(500).optional(),
  }),
  // One item added to a list in a record, inside the writer's transaction (see learning/append.ts).
  z.object({
    kind: z.literal('append'),
    key: memoryKeySchema,
    item: z.unknown(),
    field: z.string().min(1).optional(),
    max: z.number().int().positive().max(10_000),
    replaceBy: z.string().min(1).optional(),
    set: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type LearningEvent = z.infer<typeof learningEventSchema>;
export const recordInput = z.object({
  events: z.array(learningEventSchema).min(1).max(10_000),
  /** The caller's id for this request: a retry with the same id (after a lost reply) is applied once. */
  requestId: z.string().min(1).max(100).optional(),
});
