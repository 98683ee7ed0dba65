// Turns CLI flags and an optional Claude Code payload into one hook event.
import { randomUUID } from 'node:crypto';
import { HOOK_LEVELS, type HookEvent, type HookName } from '../schemas/hook-types.js';

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

const LEVELS = HOOK_LEVELS;

/**
 * Claude Code's hook payload: one JSON object whose fields isoswarm reads are optional strings
 * (tool_input an object). The coordinator validates the event built from it with zod.
 */
function readClaudePayload(
  raw: unknown,
): Record<string, string | undefined> & { tool_input?: Record<string, unknown> } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new BadHookInput('stdin hook payload: expected a JSON object');
  const o = raw as Record<string, unknown>;
  const out: Record<string, string | undefined> & { tool_input?: Record<string, unknown> } = {};
  for (const k of ['session_id', 'cwd', 'hook_event_name', 'tool_name', 'message', 'prompt']) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new BadHookInput(`stdin hook payload: ${k}: expected a string`);
    out[k] = v;
  }
  if (o.tool_input !== undefined && o.tool_input !== null) {
    if (typeof o.tool_input !== 'object' || Array.isArray(o.tool_input))
      throw new BadHookInput('stdin hook payload: tool_input: expected an object');
    out.tool_input = o.tool_input as Record<string, unknown>;
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function buildHookEvent(hook: HookName, flags: HookFlags, stdinText: string): HookEvent {
  const ev: HookEvent = { hook, id: randomUUID(), at: new Date().toISOString(), source: 'cli' };
  if (stdinText.trim()) {
    let raw: unknown;
    try {
      raw = JSON.parse(stdinText);
    } catch (e) {
      throw new BadHookInput(`stdin is not a JSON hook payload: ${(e as Error).message}`);
    }
    const c = readClaudePayload(raw);
    ev.source = 'claude-code';
    if (c.session_id) ev.sessionId = c.session_id;
    if (c.cwd) ev.cwd = c.cwd;
    if (c.tool_name) ev.toolName = c.tool_name;
    const filePath = str(c.tool_input?.file_path) ?? str(c.tool_input?.notebook_path);
    if (filePath) ev.file = filePath;
    if (c.message) ev.message = c.message;
    if (c.prompt) ev.description = c.prompt;
    ev.extra = { hookEventName: c.hook_event_name ?? null, command: str(c.tool_input?.command) ?? null };
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
    if (!(LEVELS as readonly string[]).includes(l))
      throw new BadHookInput(`--level must be one of ${LEVELS.join(', ')}`);
    ev.level = l as HookEvent['level'];
  }
  return ev;
}
