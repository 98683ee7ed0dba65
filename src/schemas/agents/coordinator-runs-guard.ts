// The coordinator's run-registry endpoints (`run-register`, `runs`) and the command guard (`guard`).
import { z } from 'zod';

/** What the run registry says about a run (src/run/registry.ts stateOf). */
export const runStateSchema = z.enum(['running', 'post-task', 'runner lost', 'done', 'done (runner lost)', 'unknown']);

export const runRegisterInput = z.strictObject({ runId: z.string() });
export const runRegisterOutput = z.object({ runId: z.string(), leaseMs: z.number(), state: runStateSchema });

export const runsInput = z.strictObject({});
export const runsOutput = z.object({
  runs: z.array(
    z.object({
      runId: z.string(),
      state: runStateSchema,
      chroot: z.string().nullable(),
      exitCode: z.number().nullable(),
    }),
  ),
});

export const guardInput = z.strictObject({
  line: z.string().max(100_000),
  cwd: z.string().startsWith('/').nullable(),
  /** The caller's own processes (its shell), never what a pkill in the command means. */
  exclude: z.array(z.number().int().positive()).max(16).default([]),
});

const decisionSchema = z.enum(['allow', 'deny']);
export const guardOutput = z.object({
  decision: decisionSchema,
  reasons: z.array(z.string()),
  safeCommands: z.array(z.string()),
  notes: z.array(z.string()),
  findings: z.array(
    z.object({ command: z.string(), decision: decisionSchema, reason: z.string(), safe: z.string().optional() }),
  ),
  parsed: z.boolean(),
});

export type RunRegisterOutput = z.infer<typeof runRegisterOutput>;
export type RunsOutput = z.infer<typeof runsOutput>;
export type GuardInput = z.input<typeof guardInput>;
export type GuardOutput = z.infer<typeof guardOutput>;
