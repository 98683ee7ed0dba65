// Wire shapes of the host records that agent replies carry (mounts, processes, loops, sizes):
// the schemas mirror the interfaces in src/host, which stay the types the host code works with.
import { z } from 'zod';

export const mountEntrySchema = z.object({
  id: z.number(),
  parentId: z.number(),
  major: z.number(),
  minor: z.number(),
  root: z.string(),
  mountPoint: z.string(),
  options: z.string(),
  optionalFields: z.array(z.string()),
  fsType: z.string(),
  source: z.string(),
  superOptions: z.string(),
});

export const processInfoSchema = z.object({
  pid: z.number(),
  comm: z.string(),
  cmdline: z.string(),
  startTime: z.number(),
  root: z.string().optional(),
});

export const holderSchema = processInfoSchema.extend({
  uses: z.array(z.object({ kind: z.enum(['cwd', 'exe', 'fd', 'map']), path: z.string() })),
});

export const foreignMountSchema = z.object({ mount: mountEntrySchema, reason: z.string() });

export const loopDeviceSchema = z.object({
  name: z.string(),
  backingFile: z.string().nullable(),
  major: z.number(),
  minor: z.number(),
  devNumbers: z.array(z.string()),
  holders: z.array(z.string()),
});

export const terminationRecordSchema = z.object({
  pid: z.number(),
  comm: z.string(),
  cmdline: z.string(),
  signals: z.array(z.object({ signal: z.enum(['SIGTERM', 'SIGKILL']), at: z.string() })),
  outcome: z.enum(['exited', 'killed', 'vanished', 'survived', 'skipped-reused']),
  note: z.string().optional(),
});

export const unmountAttemptSchema = z.object({
  mountPoint: z.string(),
  fsType: z.string(),
  source: z.string(),
  strategy: z.enum(['umount', 'umount-after-settle', 'lazy']),
  ok: z.boolean(),
  ms: z.number(),
  error: z.string().optional(),
});

export const skippedSchema = z.object({ path: z.string(), reason: z.string() });

export const treeSizeSchema = z.object({
  files: z.number(),
  dirs: z.number(),
  bytes: z.number(),
  truncated: z.boolean(),
  skipped: z.array(skippedSchema),
});

/** A refusal as plans carry it: the code names the rule, the reason is for a person. */
export const refusalSchema = z.object({ code: z.string(), reason: z.string() });
export const targetIdSchema = z.object({ path: z.string(), fileId: z.string() });
