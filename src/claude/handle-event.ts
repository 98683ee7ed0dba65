// One Claude Code hook call: answer what the protocol lets us answer (a guard deny for Bash before it
// runs, memory context at session start and prompt), then record the event. JSON goes to stdout only
// with exit 0; exit 2 is never used (the guard denies through JSON, which Claude Code shows the model
// as the reason); a failure to record is exit 1, which Claude Code shows the user and goes on.
import type { SwarmLink } from '../runtime/swarm-link.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { Config } from '../schemas/config.js';
import { claudeToHookEvent, eventName, type ClaudePayload } from './event-map.js';

export interface ClaudeOutcome {
  /** One JSON object for stdout, or null for no answer. */
  answer: Record<string, unknown> | null;
  exitCode: 0 | 1;
  warnings: string[];
}

export interface ClaudeSettings {
  guard: boolean;
  context: boolean;
  contextMaxWords: number;
}

export function claudeSettings(config: Config): ClaudeSettings {
  const c = ((config as unknown as { claude?: Partial<ClaudeSettings> }).claude ?? {}) as Partial<ClaudeSettings>;
  return { guard: c.guard !== false, context: c.context !== false, contextMaxWords: c.contextMaxWords ?? 250 };
}

async function guardAnswer(
  p: ClaudePayload,
  config: Config,
  extra: Record<string, unknown>,
  nc: SwarmLink | null,
): Promise<Record<string, unknown> | null> {
  const input = (p.tool_input ?? {}) as Record<string, unknown>;
  if (typeof input.command !== 'string') return null;
  const { judgeCommandLine, denyMessage } = await import('../guard/guard.js');
  const cwd = typeof p.cwd === 'string' && p.cwd.startsWith('/') ? p.cwd : process.cwd();
  let v = nc ? await (await import('../guard/remote.js')).judgeViaSwarm(nc, input.command, cwd, [process.ppid]) : null;
  if (!v) {
    const { effectivePolicy } = await import('../runtime/policy.js');
    v = await judgeCommandLine(input.command, { cwd, policy: effectivePolicy(config), exclude: [process.ppid] });
  }
  extra.guard = { decision: v.decision, reasons: v.reasons, safeCommands: v.safeCommands, notes: v.notes };
  if (v.decision !== 'deny') return null; // no "allow": that would skip Claude Code's own permission prompt
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: denyMessage(v),
    },
  };
}

async function contextAnswer(
  name: string,
  p: ClaudePayload,
  config: Config,
  paths: StatePaths,
  s: ClaudeSettings,
): Promise<Record<string, unknown> | null> {
  const { memoryContext } = await import('./memory-context.js');
  const cwd = typeof p.cwd === 'string' && p.cwd.startsWith('/') ? p.cwd : null;
  const text = await memoryContext(paths, config.memory.mapSizeBytes, cwd, s.contextMaxWords);
  return text ? { hookSpecificOutput: { hookEventName: name, additionalContext: text } } : null;
}

export async function handleClaudeEvent(stdinText: string, config: Config, paths: StatePaths): Promise<ClaudeOutcome> {
  let p: ClaudePayload;
  try {
    const raw = JSON.parse(stdinText) as unknown;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('expected a JSON object');
    p = raw as ClaudePayload;
  } catch (e) {
    return {
      answer: null,
      exitCode: 1,
      warnings: [`stdin is not a Claude Code hook payload: ${(e as Error).message}`],
    };
  }
  const name = eventName(p);
  const s = claudeSettings(config);
  const extra: Record<string, unknown> = {};
  // One connection serves the guard and the event; without a swarm both work locally.
  const { linkSwarm } = await import('../runtime/swarm-link.js');
  const link = await linkSwarm({ config, paths }, config.nats.hookTimeoutMs).catch(() => null);
  try {
    return await answerAndRecord(name, p, config, paths, s, extra, link);
  } finally {
    await link?.close();
  }
}

async function answerAndRecord(
  name: string,
  p: ClaudePayload,
  config: Config,
  paths: StatePaths,
  s: ClaudeSettings,
  extra: Record<string, unknown>,
  nc: SwarmLink | null,
): Promise<ClaudeOutcome> {
  const warnings: string[] = [];
  let answer: Record<string, unknown> | null = null;
  try {
    if (name === 'PreToolUse' && p.tool_name === 'Bash' && s.guard) answer = await guardAnswer(p, config, extra, nc);
    else if ((name === 'SessionStart' || name === 'UserPromptSubmit') && s.context)
      answer = await contextAnswer(name, p, config, paths, s);
  } catch (e) {
    warnings.push(`${name}: no answer (${(e as Error).message})`); // never block a session on our failure
  }
  const { sendHook } = await import('../hook-runtime/hook-client.js');
  try {
    // Only the prompt/session hooks feed a later answer (pre-task/post-task pairs): the rest are deferred.
    const deferred = name !== 'UserPromptSubmit' && name !== 'SessionStart' && name !== 'Stop' && name !== 'SessionEnd';
    const out = await sendHook(config, paths, claudeToHookEvent(p, extra), nc ?? undefined, deferred);
    if (out.warning) warnings.push(out.warning);
  } catch (e) {
    warnings.push(`${name || 'event'} not recorded: ${(e as Error).message}`);
    // An answer already decided (a deny) must still reach Claude Code, which reads JSON only on exit 0.
    return { answer, exitCode: answer ? 0 : 1, warnings };
  }
  return { answer, exitCode: 0, warnings };
}
