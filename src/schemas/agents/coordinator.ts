// The coordinator's own endpoints (memory, hooks, status, shutdown); the agent endpoints it relays
// keep their agents' contracts (contracts.ts joins the two).
import { z } from 'zod';
import { HOOK_NAMES } from '../hook-types.js';
import { hookEventSchema } from '../hooks.js';
import { importInput, keyInput, listInput, queryInput, recordInput, setInput } from '../memory-ops.js';

export { importInput, keyInput, listInput, queryInput, recordInput, setInput };

export const hookInput = z.object({ event: hookEventSchema, deferred: z.boolean().optional() });
export const statusInput = z.strictObject({});
export const shutdownInput = z.strictObject({});
export const memoryStatsInput = z.strictObject({});

/** A memory entry as the store hands it out. `value` is open-ended: each key pattern has its own record. */
export const storedEntrySchema = z.object({ key: z.string(), value: z.unknown(), updatedAt: z.string() });
export const entriesOutput = z.array(storedEntrySchema);
export const memoryDeleteOutput = z.object({ deleted: z.boolean() });
export const memoryImportOutput = z.object({ imported: z.number() });
export const memoryRecordOutput = z.object({ updated: z.array(z.string()) });
export const memoryStatsOutput = z.object({
  entries: z.number(),
  mapSizeBytes: z.number(),
  usedBytes: z.number(),
  path: z.string(),
});

export const hookOutput = z.object({
  hook: z.enum(HOOK_NAMES),
  id: z.string(),
  message: z.string(),
  /** Whatever the hook's handler returned: handlers are user code, so open-ended. */
  data: z.unknown().optional(),
  durationMs: z.number(),
  stored: z.enum(['stream', 'local', 'spool']),
});

export const agentStatusSchema = z.object({
  name: z.string(),
  pid: z.number().nullable(),
  state: z.enum(['starting', 'running', 'backoff', 'crash-loop', 'stopped']),
  restarts: z.number(),
  lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable(), at: z.string() }).nullable(),
  adopted: z.boolean(),
});
export const statusOutput = z.object({
  pid: z.number(),
  host: z.string(),
  uptimeMs: z.number(),
  agents: z.array(agentStatusSchema),
});
export const shutdownOutput = z.object({ stopping: z.literal(true) });

export type StoredEntryReply = z.infer<typeof storedEntrySchema>;
export type HookOutput = z.infer<typeof hookOutput>;
export type AgentStatusReply = z.infer<typeof agentStatusSchema>;
export type StatusOutput = z.infer<typeof statusOutput>;
