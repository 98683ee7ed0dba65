// Hook events as they travel from the CLI (or an editor's hook payload) to the handlers.
import { z } from 'zod';

export const HOOK_NAMES = ['pre-task', 'post-edit', 'notification', 'post-task'] as const;
export type HookName = (typeof HOOK_NAMES)[number];
/** Names people already type for the same hooks. */
export const HOOK_ALIASES: Record<string, HookName> = { notify: 'notification' };

export const hookEventSchema = z.object({
  hook: z.enum(HOOK_NAMES),
  id: z.string().min(1),
  at: z.string(),
  source: z.enum(['cli', 'claude-code', 'replay']),
  taskId: z.string().min(1).optional(),
  description: z.string().optional(),
  file: z.string().optional(),
  memoryKey: z.string().optional(),
  message: z.string().optional(),
  level: z.enum(['debug', 'info', 'warning', 'error', 'critical']).optional(),
  telemetry: z.boolean().optional(),
  sessionId: z.string().optional(),
  cwd: z.string().optional(),
  toolName: z.string().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type HookEvent = z.infer<typeof hookEventSchema>;

export const hookResultSchema = z.object({
  hook: z.enum(HOOK_NAMES),
  id: z.string(),
  message: z.string(),
  data: z.unknown().optional(),
  durationMs: z.number(),
  stored: z.enum(['stream', 'local']),
});
export type HookResult = z.infer<typeof hookResultSchema>;

/** What a handler in hooks/ may touch: the memory, through whoever owns it in this process. */
export interface HookMemory {
  get(key: string): unknown;
  set(key: string, value: unknown): Promise<void>;
  update(key: string, fn: (old: unknown) => unknown): Promise<unknown>;
}

export interface HookHandlerResult {
  message: string;
  data?: unknown;
}

export type HookHandler = (event: HookEvent, ctx: { memory: HookMemory }) => Promise<HookHandlerResult>;

/** Claude Code's hook payload (only the fields isoswarm reads). */
export const claudePayloadSchema = z.looseObject({
  session_id: z.string().optional(),
  cwd: z.string().optional(),
  hook_event_name: z.string().optional(),
  tool_name: z.string().optional(),
  tool_input: z.looseObject({ file_path: z.string().optional(), command: z.string().optional() }).optional(),
  message: z.string().optional(),
  prompt: z.string().optional(),
});
export type ClaudePayload = z.infer<typeof claudePayloadSchema>;
