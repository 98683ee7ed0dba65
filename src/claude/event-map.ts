// Claude Code hook events, each mapped to one of isoswarm's four hook kinds. The raw event (session,
// cwd, tool, input, response; long strings cut) rides along in `extra.claude` into the durable
// stream. An event this table does not know is recorded as a notification, never an error.
import { randomUUID } from 'node:crypto';
import type { HookEvent, HookName } from '../schemas/hook-types.js';

export const CLAUDE_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'SubagentStop',
  'PreCompact',
  'SessionEnd',
] as const;
export type ClaudeEventName = (typeof CLAUDE_EVENTS)[number];

export type ClaudePayload = Record<string, unknown>;

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const toolInput = (p: ClaudePayload): Record<string, unknown> =>
  p.tool_input && typeof p.tool_input === 'object' ? (p.tool_input as Record<string, unknown>) : {};

/** What a tool call was, in one line: `Bash: rm -rf build`, `Edit: src/a.ts`. */
function toolLine(p: ClaudePayload): string {
  const i = toolInput(p);
  const what = str(i.command) ?? str(i.file_path) ?? str(i.notebook_path) ?? str(i.pattern) ?? str(i.url) ?? '';
  return `${str(p.tool_name) ?? 'tool'}${what ? `: ${what.slice(0, 200)}` : ''}`;
}

interface Mapped {
  hook: HookName;
  message?: string;
  description?: string;
  level?: HookEvent['level'];
  telemetry?: boolean;
  file?: string;
}

function map(name: string, p: ClaudePayload): Mapped {
  switch (name) {
    case 'SessionStart':
      return { hook: 'pre-task', description: `Claude Code session (${str(p.source) ?? 'startup'})` };
    case 'UserPromptSubmit':
      return { hook: 'pre-task', description: str(p.prompt)?.slice(0, 2000) ?? 'prompt' };
    case 'PreToolUse':
      return { hook: 'notification', message: `about to run ${toolLine(p)}`, level: 'debug', telemetry: true };
    case 'PermissionRequest':
      return { hook: 'notification', message: `permission asked for ${toolLine(p)}`, level: 'info' };
    case 'PostToolUse': {
      const file = str(toolInput(p).file_path) ?? str(toolInput(p).notebook_path);
      if (EDIT_TOOLS.has(str(p.tool_name) ?? '') && file) return { hook: 'post-edit', file };
      return { hook: 'notification', message: `ran ${toolLine(p)}`, level: 'debug', telemetry: true };
    }
    case 'PostToolUseFailure':
      return {
        hook: 'notification',
        message: `failed: ${toolLine(p)}${str(p.error) ? ` (${str(p.error)!.slice(0, 300)})` : ''}`,
        level: 'warning',
      };
    case 'Notification':
      return { hook: 'notification', message: str(p.message) ?? 'Claude Code notification', level: 'info' };
    case 'Stop':
      return { hook: 'post-task' };
    case 'SubagentStop':
      return { hook: 'notification', message: 'a subagent finished', level: 'debug', telemetry: true };
    case 'PreCompact':
      return {
        hook: 'notification',
        message: `context compaction (${str(p.trigger) ?? 'auto'})`,
        level: 'debug',
        telemetry: true,
      };
    case 'SessionEnd':
      return { hook: 'post-task' };
    default:
      return {
        hook: 'notification',
        message: `Claude Code event ${name || '(unnamed)'}`,
        level: 'info',
        telemetry: true,
      };
  }
}

/** Cuts long strings (a tool's whole output) so one event stays a small message on the bus. */
function bounded(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 2000 ? `${v.slice(0, 2000)}... (${v.length} chars)` : v;
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => bounded(x, depth + 1));
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .slice(0, 50)
      .map(([k, x]) => [k, bounded(x, depth + 1)]),
  );
}

export function eventName(p: ClaudePayload): string {
  return str(p.hook_event_name) ?? '';
}

export function isKnownEvent(name: string): name is ClaudeEventName {
  return (CLAUDE_EVENTS as readonly string[]).includes(name);
}

/** The isoswarm hook event for a Claude Code payload. */
export function claudeToHookEvent(p: ClaudePayload, extra: Record<string, unknown> = {}): HookEvent {
  const name = eventName(p);
  const m = map(name, p);
  const ev: HookEvent = { hook: m.hook, id: randomUUID(), at: new Date().toISOString(), source: 'claude-code' };
  const session = str(p.session_id);
  if (session) {
    ev.sessionId = session;
    ev.taskId = session; // pre-task at the prompt and post-task at Stop pair up per session
  }
  if (str(p.cwd)) ev.cwd = str(p.cwd)!;
  if (str(p.tool_name)) ev.toolName = str(p.tool_name)!;
  if (m.message !== undefined) ev.message = m.message;
  if (m.description !== undefined) ev.description = m.description;
  if (m.level !== undefined) ev.level = m.level;
  if (m.telemetry) ev.telemetry = true;
  if (m.file !== undefined) ev.file = m.file;
  ev.extra = { hookEventName: name || null, known: isKnownEvent(name), claude: bounded(p), ...extra };
  return ev;
}
