// The Unmounter's wire contract: `plan` (changes nothing) and `teardown`.
import { z } from 'zod';
import {
  foreignMountSchema,
  holderSchema,
  loopDeviceSchema,
  mountEntrySchema,
  processInfoSchema,
  refusalSchema,
  targetIdSchema,
  terminationRecordSchema,
  unmountAttemptSchema,
} from './host-records.js';

export const unmountPlanInput = z.object({ target: z.string().max(4096) });
/** A build's own script calling isoswarm on its chroot names its run: that run's build lock lets it by. */
export const forRunSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/)
  .optional();
export const teardownInput = unmountPlanInput.extend({
  dryRun: z.boolean().default(false),
  forRun: forRunSchema,
  graceMs: z.number().int().min(0).max(600_000).optional(),
  allowLazy: z.boolean().optional(),
});

export const teardownPlanSchema = z.object({
  input: z.string(),
  target: targetIdSchema.nullable(),
  refused: refusalSchema.nullable(),
  processes: z.array(processInfoSchema),
  holders: z.array(holderSchema),
  mounts: z.array(mountEntrySchema),
  foreign: z.array(foreignMountSchema),
  loops: z.array(loopDeviceSchema),
  createdAt: z.string(),
});

export const teardownResultSchema = z.object({
  status: z.enum(['done', 'refused', 'failed']),
  target: z.string().nullable(),
  signalled: z.array(terminationRecordSchema),
  unmounted: z.array(z.string()),
  attempts: z.array(unmountAttemptSchema),
  detachedLoops: z.array(
    z.object({ device: z.string(), backingFile: z.string().nullable(), ok: z.boolean(), error: z.string().optional() }),
  ),
  holders: z.array(holderSchema),
  foreign: z.array(foreignMountSchema),
  remaining: z.array(mountEntrySchema),
  usedLazy: z.boolean(),
  durationMs: z.number(),
  reason: z.string().optional(),
  refusal: z.object({ code: z.string(), reason: z.string() }).optional(),
});

export const unmountPlanOutput = z.object({ plan: teardownPlanSchema, text: z.string() });
/** `result` is null for a dry run. */
export const teardownOutput = unmountPlanOutput.extend({ result: teardownResultSchema.nullable() });

export type UnmountPlanInput = z.input<typeof unmountPlanInput>;
export type TeardownInput = z.input<typeof teardownInput>;
export type UnmountPlanOutput = z.infer<typeof unmountPlanOutput>;
export type TeardownOutput = z.infer<typeof teardownOutput>;
