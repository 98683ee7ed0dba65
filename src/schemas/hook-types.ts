// Hook names and the shapes hooks pass around, free of zod: the hook client loads this on every call
// (hooks.ts holds the zod schemas the coordinator validates with).
export const HOOK_NAMES = ['pre-task', 'post-edit', 'notification', 'post-task'] as const;
export type HookName = (typeof HOOK_NAMES)[number];
/** Names people already type for the same hooks. */
export const HOOK_ALIASES: Record<string, HookName> = { notify: 'notification' };
export const HOOK_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

export interface HookEvent {
  hook: HookName;
  id: string;
  at: string;
  source: 'cli' | 'claude-code' | 'replay';
  taskId?: string;
  description?: string;
  file?: string;
  memoryKey?: string;
  message?: string;
  level?: (typeof HOOK_LEVELS)[number];
  telemetry?: boolean;
  sessionId?: string;
  cwd?: string;
  toolName?: string;
  extra?: Record<string, unknown>;
}

export interface HookResult {
  hook: HookName;
  id: string;
  message: string;
  data?: unknown;
  durationMs: number;
  /** stream: via the coordinator; local: straight into LMDB; spool: waiting for the coordinator. */
  stored: 'stream' | 'local' | 'spool';
}

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
