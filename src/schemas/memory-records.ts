// Records of the eight patterns the request names. Every record says when it was updated and carries
// the counts and measurements behind it, so a person reading it can see why a pattern is believed.
import { z } from 'zod';

const when = { updatedAt: z.string() };

const strategyStats = z.object({
  attempts: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  totalMs: z.number().nonnegative(),
  rate: z.number().min(0).max(1).optional(),
  avgMs: z.number().nonnegative().optional(),
  lastAt: z.string().optional(),
  lastOk: z.boolean().optional(),
  idle: z.number().int().nonnegative().optional(),
});

export const unmountStrategiesSchema = z.looseObject({
  fsType: z.string(),
  strategies: z.record(z.string(), strategyStats),
  bySource: z
    .record(z.string(), z.object({ strategies: z.record(z.string(), strategyStats), updatedAt: z.string() }))
    .optional(),
  lastError: z.string().optional(),
  ...when,
});

export const cleanupSuccessSchema = z.looseObject({
  target: z.string(),
  runs: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  refusals: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  bytesFreed: z.number().nonnegative(),
  lastStatus: z.string(),
  lastDurationMs: z.number().nonnegative(),
  ...when,
});

export const parallelConfigSchema = z.looseObject({
  fingerprintId: z.string(),
  choice: z.unknown(),
  candidates: z.array(z.unknown()),
  measuredAt: z.string(),
  ...when,
});

export const cachingEffectivenessSchema = z.looseObject({
  cache: z.string(),
  builds: z.number().int().nonnegative(),
  hits: z.number().int().nonnegative(),
  misses: z.number().int().nonnegative(),
  hitRate: z.number().min(0).max(1),
  bytesSaved: z.number().nonnegative(),
  ...when,
});

/** The four summaries keep the most recent entries plus running totals. */
export const summarySchema = z.looseObject({
  entries: z.array(z.looseObject({ at: z.string() })),
  totals: z.record(z.string(), z.number()),
  ...when,
});

export const PATTERNS = {
  'unmount-strategies': unmountStrategiesSchema,
  'cleanup-success': cleanupSuccessSchema,
  'parallel-config': parallelConfigSchema,
  'caching-effectiveness': cachingEffectivenessSchema,
} as const;

export const SUMMARIES = [
  'cleanup-procedures',
  'performance-improvements',
  'error-prevention',
  'resource-management',
] as const;

export type UnmountStrategies = z.infer<typeof unmountStrategiesSchema>;
export type CleanupSuccess = z.infer<typeof cleanupSuccessSchema>;
export type CachingEffectiveness = z.infer<typeof cachingEffectivenessSchema>;
export type Summary = z.infer<typeof summarySchema>;

/** Validates a value written under `optimization/`; other namespaces hold any JSON. */
export function validateRecord(key: string, value: unknown): { ok: true } | { ok: false; message: string } {
  if (!key.startsWith('optimization/')) return { ok: true };
  const parts = key.split('/');
  const pattern = parts[1] ?? '';
  let schema: z.ZodType | undefined;
  if ((SUMMARIES as readonly string[]).includes(pattern) && parts.length === 2) schema = summarySchema;
  else if (pattern in PATTERNS && parts.length >= 3 && parts.slice(2).every((p) => p.length > 0)) {
    schema = PATTERNS[pattern as keyof typeof PATTERNS];
  }
  if (!schema) {
    return {
      ok: false,
      message: `unknown optimization key "${key}": use optimization/<${Object.keys(PATTERNS).join('|')}>/<subject> or optimization/<${SUMMARIES.join('|')}>`,
    };
  }
  const r = schema.safeParse(value);
  if (r.success) return { ok: true };
  return { ok: false, message: r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ') };
}

/** Keys: path-like, printable, no empty segments. */
export const memoryKeySchema = z
  .string()
  .min(1)
  .max(480)
  .regex(/^[^\s/][^\s]*$/, 'keys are non-empty, contain no whitespace and do not start with "/"')
  .refine((k) => !k.split('/').some((s) => s === ''), 'keys have no empty path segments');
