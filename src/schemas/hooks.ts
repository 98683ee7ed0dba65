// The zod schemas of hook events: the coordinator validates every event it is sent.
import { z } from 'zod';
import { HOOK_LEVELS, HOOK_NAMES, type HookEvent } from './hook-types.js';

export * from './hook-types.js';

export const hookEventSchema: z.ZodType<HookEvent> = z.object({
  hook: z.enum(HOOK_NAMES),
  id: z.string().min(1),
  at: z.string(),
  source: z.enum(['cli', 'claude-code', 'replay']),
  taskId: z.string().min(1).optional(),
  description: z.string().optional(),
  file: z.string().optional(),
  memoryKey: z.string().optional(),
  message: z.string().optional(),
  level: z.enum(HOOK_LEVELS).optional(),
  telemetry: z.boolean().optional(),
  sessionId: z.string().optional(),
  cwd: z.string().optional(),
  toolName: z.string().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
