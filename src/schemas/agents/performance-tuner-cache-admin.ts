// The wire contract of `isoswarm cache ls|why|prune` (served by the PerformanceTuner, which owns the caches).
import { z } from 'zod';
import { rootLookupSchema } from './performance-tuner-roots.js';

export const cacheNameSchema = z.enum(['apt-archives', 'debootstrap-roots', 'debootstrap-tarballs']);

const limitDecision = z.object({
  configuredBytes: z.number(),
  minBytes: z.number(),
  maxBytes: z.number(),
  limitBytes: z.number(),
  change: z.enum(['grow', 'shrink', 'keep']),
  reason: z.string(),
  evidence: z
    .object({
      builds: z.number(),
      hitRate: z.number(),
      lastHitRate: z.number().nullable(),
      bytesSaved: z.number(),
      previousLimitBytes: z.number().nullable(),
    })
    .nullable(),
  sizeBytes: z.number(),
  disk: z.object({ freeBytes: z.number(), totalBytes: z.number() }).nullable(),
});

export const cacheLsInput = z.object({});
export const cacheLsOutput = z.object({
  caches: z.array(
    z.object({
      cache: cacheNameSchema,
      dir: z.string(),
      entries: z.number(),
      sizeBytes: z.number(),
      limit: limitDecision,
      record: z
        .object({
          builds: z.number(),
          hits: z.number(),
          misses: z.number(),
          hitRate: z.number(),
          bytesSaved: z.number(),
          updatedAt: z.string(),
        })
        .nullable(),
    }),
  ),
});

export const cacheWhyInput = z.object({ subject: z.string().min(1).max(4096) });
export const cacheWhyOutput = z.object({
  subject: z.string(),
  found: z.enum(['root-key', 'root-object', 'target', 'cache-file']),
  cache: cacheNameSchema,
  entry: z
    .object({
      key: z.string(),
      spec: z.record(z.string(), z.unknown()),
      object: z.string(),
      sha256: z.string(),
      bytes: z.number(),
      createdAt: z.string(),
      makeMs: z.number().nullable(),
      packMs: z.number(),
    })
    .nullable(),
  lookups: z.array(rootLookupSchema),
  explanation: z.array(z.string()),
});

export const cachePruneInput = z.object({
  cache: cacheNameSchema.nullable().default(null),
  toBytes: z.number().int().nonnegative().nullable().default(null),
  dryRun: z.boolean().default(false),
});
const skipped = z.array(z.object({ path: z.string(), reason: z.string() }));
export const cachePruneOutput = z.object({
  dryRun: z.boolean(),
  plans: z.array(
    z.object({
      cache: cacheNameSchema,
      dir: z.string(),
      limitBytes: z.number(),
      reason: z.string(),
      sizeBytes: z.number(),
      evict: z.array(z.object({ name: z.string(), bytes: z.number(), lastUsed: z.string() })),
      evictBytes: z.number(),
      afterBytes: z.number(),
      refused: z.string().nullable(),
    }),
  ),
  removed: z.array(z.object({ cache: cacheNameSchema, names: z.array(z.string()), bytes: z.number(), skipped })),
  journal: z.string().nullable(),
});

export type CacheLsOutput = z.infer<typeof cacheLsOutput>;
export type CacheWhyOutput = z.infer<typeof cacheWhyOutput>;
export type CachePruneOutput = z.infer<typeof cachePruneOutput>;
