// Turns CLI flags and an optional Claude Code payload into one hook event.
import { randomUUID } from 'node:crypto';
import { claudePayloadSchema, type HookEvent, type HookName } from '../schemas/hooks.js';

export interface HookFlags {
  description?: string;
  taskId?: string;
  file?: string;
  memoryKey?: string;
  message?: string;
  level?: string;
  telemetry?: boolean;
}

export class BadHookInput extends Error {}

const LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

export function buildHookEvent(hook: HookName, flags: HookFlags, stdinText: string): HookEvent {
  const ev: HookEvent = { hook, id: randomUUID(), at: new Date().toISOString(), source: 'cli' };
  if (stdinText.trim()) {
    let raw: unknown;
    try {
      raw = JSON.parse(stdinText);
    } catch (e) {
      throw new BadHookInput(`stdin is not a JSON hook payload: ${(e as Error).message}`);
    }
    const p = claudePayloadSchema.safeParse(raw);
    if (!p.success) throw new BadHookInput(`stdin hook payload: ${p.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}`);
    const c = p.data;
    ev.source = 'claude-code';
    if (c.session_id) ev.sessionId = c.session_id;
    if (c.cwd) ev.cwd = c.cwd;
    if (c.tool_name) ev.toolName = c.tool_name;
    if (c.tool_input?.file_path) ev.file = c.tool_input.file_path;
    if (c.message) ev.message = c.message;
    if (c.prompt) ev.description = c.prompt;
    ev.extra = { hookEventName: c.hook_event_name ?? null, command: c.tool_input?.command ?? null };
  }
  // Flags win over the payload: they are what the person wrote in their hook settings.
  if (flags.description !== undefined) ev.description = flags.description;
  if (flags.taskId !== undefined) ev.taskId = flags.taskId;
  if (flags.file !== undefined) ev.file = flags.file;
  if (flags.memoryKey !== undefined) ev.memoryKey = flags.memoryKey;
  if (flags.message !== undefined) ev.message = flags.message;
  if (flags.telemetry) ev.telemetry = true;
  if (flags.level !== undefined) {
    const l = flags.level === 'warn' ? 'warning' : flags.level;
    if (!(LEVELS as readonly string[]).includes(l)) throw new BadHookInput(`--level must be one of ${LEVELS.join(', ')}`);
    ev.level = l as HookEvent['level'];
  }
  return ev;
}
