// The one typed configuration object, merged from config/default.json, an optional file and the environment.
import { z } from 'zod';

const thresholds = z.object({
  diskPct: z.number().min(1).max(100),
  diskEmergencyPct: z.number().min(1).max(100),
  memPct: z.number().min(1).max(100),
  tempBytes: z.number().int().positive(),
});

export const cleanupTargetSchema = z.object({
  path: z.string().min(1),
  kind: z.enum(['tree', 'cache', 'temp', 'locks']).default('tree'),
  /** cache: evict least recently used files until the cache is at most this big. */
  limitBytes: z.number().int().nonnegative().optional(),
  /** temp: remove files not modified for this many seconds. */
  maxAgeSec: z.number().int().nonnegative().optional(),
});

export const configSchema = z.object({
  /** This host's name on a farm's bus (a subject token); null: the hostname. */
  host: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a host name is one NATS subject token: letters, digits, _ and -')
    .nullable(),
  optimizationEnabled: z.boolean(),
  parallelJobs: z.union([z.literal('auto'), z.number().int().min(1).max(1024)], {
    error: 'expected "auto" or a whole number from 1 to 1024',
  }),
  cleanupAutoTrigger: z.boolean(),
  performanceMonitoring: z.boolean(),
  nats: z.object({
    url: z.string().min(1).nullable(),
    subjectPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'NATS subject tokens: letters, digits, _ and -'),
    requestTimeoutMs: z.number().int().positive(),
    hookTimeoutMs: z.number().int().positive(),
  }),
  agents: z.array(z.enum(['cleaner', 'unmounter', 'performance-tuner', 'monitor'])),
  supervisor: z.object({
    backoffInitialMs: z.number().int().positive(),
    backoffMaxMs: z.number().int().positive(),
    crashLoopRestarts: z.number().int().positive(),
    crashLoopWindowMs: z.number().int().positive(),
    readyTimeoutMs: z.number().int().positive(),
  }),
  memory: z.object({
    mapSizeBytes: z
      .number()
      .int()
      .min(1 << 24),
  }),
  policy: z.object({ safePrefixes: z.array(z.string().startsWith('/')), deny: z.array(z.string().startsWith('/')) }),
  cleanup: z.object({
    targets: z.array(cleanupTargetSchema),
    graceMs: z.number().int().nonnegative(),
    allowLazyUnmount: z.boolean(),
    /** How long the umount-after-settle strategy waits after sync before it unmounts. */
    settleMs: z.number().int().nonnegative().max(60_000),
    confirmAboveBytes: z.number().int().nonnegative(),
  }),
  monitor: z.object({
    intervalMs: z.number().int().min(50),
    paths: z.array(z.string().startsWith('/')),
    tempDir: z.string().startsWith('/'),
    thresholds,
    hysteresisPct: z.number().min(0).max(50),
    minAlertIntervalMs: z.number().int().nonnegative(),
  }),
  caches: z.object({
    /** Host dir of the apt archive cache bound into chroots (null: <state dir>/cache/apt-archives). */
    aptDir: z.string().startsWith('/').nullable(),
    aptLimitBytes: z.number().int().positive(),
    /** Host dir of the debootstrap tarball cache (null: <state dir>/cache/debootstrap-tarballs). */
    debootstrapDir: z.string().startsWith('/').nullable(),
    debootstrapLimitBytes: z.number().int().positive(),
    /** Host dir of the debootstrap root result cache (null: <state dir>/cache/debootstrap-roots). */
    rootDir: z.string().startsWith('/').nullable().default(null),
    rootLimitBytes: z.number().int().positive().default(4294967296),
    /** Per cache: how far its caching-effectiveness record may move its limit (default: 1/4 to 4x). */
    bounds: z
      .record(z.string(), z.object({ minBytes: z.number().int().positive(), maxBytes: z.number().int().positive() }))
      .default({}),
  }),
  /** A build farm: patterns and caches shared between hosts through JetStream (see docs/farm.md). */
  farm: z.object({
    enabled: z.boolean(),
    /** Replicas of the farm's stream, KV bucket and object store: 3 on a 3-node cluster, 1 on one server. */
    replicas: z.number().int().min(1).max(5),
  }),
  hooks: z.object({
    builtin: z.record(z.string(), z.string()),
    site: z.record(z.string(), z.array(z.string())),
  }),
  /** Coding agents: the PreToolUse guard, memory context in prompts, and the MCP server's actions. */
  claude: z.object({
    guard: z.boolean(),
    context: z.boolean(),
    contextMaxWords: z.number().int().min(20).max(2000),
    mcpActions: z.boolean(),
  }),
});

export type Config = z.infer<typeof configSchema>;
export type CleanupTarget = z.infer<typeof cleanupTargetSchema>;
