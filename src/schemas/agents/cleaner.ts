// The Cleaner's wire contract: `plan` (changes nothing) and `clean`.
import { z } from 'zod';
import { cleanupTargetSchema } from '../config.js';
import { mountEntrySchema, refusalSchema, skippedSchema, targetIdSchema, treeSizeSchema } from './host-records.js';
import { forRunSchema } from './unmounter.js';

export const cleanPlanInput = z.object({
  targets: z.array(cleanupTargetSchema).min(1).max(256),
  forRun: forRunSchema,
});
export const cleanInput = cleanPlanInput.extend({
  progressToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  trigger: z.string().max(200).optional(),
});

const fileCandidateSchema = z.object({
  path: z.string(),
  bytes: z.number(),
  fileId: z.string(),
  lastUseMs: z.number(),
});
const lockFileSchema = z.object({
  path: z.string(),
  fileId: z.string(),
  pid: z.number().nullable(),
  pidAlive: z.boolean().nullable(),
  heldBy: z.array(z.number()),
  openBy: z.array(z.number()),
  stale: z.boolean(),
  reason: z.string(),
});
const mountReportSchema = mountEntrySchema.pick({ mountPoint: true, fsType: true, source: true });

export const cleanActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delete-tree'), size: treeSizeSchema }),
  z.object({
    type: z.literal('evict'),
    plan: z.object({
      dir: z.string(),
      limitBytes: z.number(),
      totalBytes: z.number(),
      files: z.number(),
      evict: z.array(fileCandidateSchema),
      evictBytes: z.number(),
      afterBytes: z.number(),
      truncated: z.boolean(),
      skipped: z.array(skippedSchema),
    }),
  }),
  z.object({
    type: z.literal('remove-temp'),
    plan: z.object({
      dir: z.string(),
      maxAgeSec: z.number(),
      scanned: z.number(),
      files: z.array(fileCandidateSchema),
      bytes: z.number(),
      truncated: z.boolean(),
      skipped: z.array(skippedSchema),
    }),
  }),
  z.object({
    type: z.literal('remove-locks'),
    locks: z.array(lockFileSchema),
    notStale: z.array(lockFileSchema),
    certain: z.boolean(),
  }),
  z.object({ type: z.literal('none'), why: z.string() }),
]);

export const cleanPlanSchema = z.object({
  targets: z.array(
    z.object({
      input: cleanupTargetSchema,
      target: targetIdSchema.nullable(),
      refused: refusalSchema.nullable(),
      mounts: z.array(mountReportSchema),
      action: cleanActionSchema.nullable(),
      prediction: z
        .object({
          basis: z.number(),
          bytes: z.tuple([z.number(), z.number()]),
          durationMs: z.tuple([z.number(), z.number()]),
          estimateMs: z.number().nullable(),
          text: z.string(),
        })
        .nullable()
        .optional(),
    }),
  ),
  createdAt: z.string(),
  totalBytes: z.number(),
});

const deletedSchema = z.object({ files: z.number(), dirs: z.number(), bytes: z.number() });
export const cleanResultSchema = z.object({
  status: z.enum(['done', 'refused', 'failed']),
  targets: z.array(
    z.object({
      path: z.string(),
      kind: cleanupTargetSchema.shape.kind.unwrap(),
      status: z.enum(['done', 'refused', 'failed']),
      code: z.string().optional(),
      reason: z.string().optional(),
      deleted: deletedSchema,
      skipped: z.array(skippedSchema),
      errors: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
      resumed: z.object({ trash: z.array(z.string()), deleted: deletedSchema }).optional(),
      mounts: z.array(mountReportSchema).optional(),
      durationMs: z.number().optional(),
      threads: z.number().optional(),
      threadsPlanned: z.object({ threads: z.number(), eager: z.boolean() }).optional(),
    }),
  ),
  durationMs: z.number(),
});

export const cleanPlanOutput = z.object({ plan: cleanPlanSchema, text: z.string() });
export const cleanOutput = cleanPlanOutput.extend({ result: cleanResultSchema });

export type CleanPlanInput = z.input<typeof cleanPlanInput>;
export type CleanInput = z.input<typeof cleanInput>;
export type CleanPlanOutput = z.infer<typeof cleanPlanOutput>;
export type CleanOutput = z.infer<typeof cleanOutput>;
