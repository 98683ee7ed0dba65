// isoswarm hooks pre-task|post-edit|notification|post-task (notify = notification)
import type { Command } from 'commander';
import type { HookFlags } from '../../hook-runtime/build-event.js';
import type { InstallFlags } from './hooks-install.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine, warn } from '../output.js';

const NAMES = ['pre-task', 'post-edit', 'notification', 'post-task'];

type Flags = HookFlags & InstallFlags & { json?: boolean; phase?: string };

/** `isoswarm hooks claude`: one entry for every Claude Code event (see src/claude/handle-event.ts). */
async function claudeHook(g: GlobalOptions): Promise<void> {
  const { loadConfigFast } = await import('../../config/load-fast.js');
  const { ensureStateDir } = await import('../../host/system/state-dir.js');
  let config;
  try {
    config = await loadConfigFast({ file: g.config });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.failed);
  }
  const { readStdinPayload } = await import('../../hook-runtime/stdin-payload.js');
  const { handleClaudeEvent } = await import('../../claude/handle-event.js');
  const out = await handleClaudeEvent(await readStdinPayload(), config, ensureStateDir());
  for (const w of out.warnings) warn(w);
  if (out.answer) printJson(out.answer);
  process.exitCode = out.exitCode;
}

export function registerHooks(program: Command, globals: () => GlobalOptions): void {
  program
    .command('hooks <hook>')
    .description(
      `run a hook: ${NAMES.join(', ')} (notify = notification), \`install\`/\`uninstall\` (Claude Code settings: keeps your own hooks, backs the file up, --dry-run shows a diff), or \`claude\` for any Claude Code hook event on stdin (mapped to these four; PreToolUse Bash is judged by the guard). Reads a Claude Code hook payload from stdin when one is piped. Exit 0 = recorded (also when the swarm is down: recorded locally, with a warning); 1 = bad input or a handler failed — never 2, which Claude Code treats as blocking`,
    )
    .option('--description <text>', 'what the task is (pre-task)')
    .option('--task-id <id>', 'ties pre-task and post-task together')
    .option('--file <path>', 'the edited file (post-edit)')
    .option('--memory-key <key>', 'also store the edit under this memory key (post-edit)')
    .option('--message <text>', 'the notification text')
    .option('--level <level>', 'debug, info, warning, error or critical')
    .option(
      '--phase <name>',
      "notification: a build stage starts now (under `isoswarm run` it ends the previous one and goes into the run's stage timeline)",
    )
    .option('--telemetry', 'mark the event as telemetry')
    .option('--json', 'print the result as JSON')
    .option('--project', 'install/uninstall: .claude/settings.json in the current directory (the default)')
    .option('--user', 'install/uninstall: ~/.claude/settings.json')
    .option('--settings <file>', 'install/uninstall: this settings file')
    .option('--dry-run', 'install/uninstall: print the change as a diff, write nothing')
    .action(async (hookArg: string, o: Flags) => {
      if (hookArg === 'claude') return claudeHook(globals());
      if (hookArg === 'install' || hookArg === 'uninstall')
        return (await import('./hooks-install.js')).installCommand(hookArg, o);
      const { HOOK_ALIASES, HOOK_NAMES } = await import('../../schemas/hook-types.js');
      const hook = HOOK_ALIASES[hookArg] ?? hookArg;
      if (!(HOOK_NAMES as readonly string[]).includes(hook)) {
        throw new CliError(`unknown hook "${hookArg}": use one of ${NAMES.join(', ')} (or notify)`, EXIT.failed);
      }
      // Not cliContext: the lean path skips zod unless a config file needs validating.
      const { loadConfigFast } = await import('../../config/load-fast.js');
      const { ConfigError } = await import('../../config/env-overrides.js');
      const { ensureStateDir } = await import('../../host/system/state-dir.js');
      let ctx;
      try {
        ctx = { config: await loadConfigFast({ file: globals().config }), paths: ensureStateDir() };
      } catch (e) {
        if (e instanceof ConfigError) throw new CliError(e.message, EXIT.failed);
        throw e;
      }
      const { readStdinPayload } = await import('../../hook-runtime/stdin-payload.js');
      const { buildHookEvent, BadHookInput } = await import('../../hook-runtime/build-event.js');
      const { sendHook, HookHandlerError } = await import('../../hook-runtime/hook-client.js');
      let event;
      if (o.phase !== undefined) {
        if (hook !== 'notification') throw new CliError('--phase goes with the notification hook', EXIT.failed);
        if (!/^[\w.:+-]{1,80}$/.test(o.phase))
          throw new CliError('--phase: a stage name is 1-80 letters, digits, "_", ".", ":", "+" or "-"', EXIT.failed);
        // The mark is written first: its time is when the stage began, not when the swarm answered.
        const { appendStageMark } = await import('../../hook-runtime/stage-mark.js');
        try {
          appendStageMark(o.phase);
        } catch (e) {
          warn(`the stage mark could not be written: ${(e as Error).message}`);
        }
        o.message ??= `phase ${o.phase}`;
      }
      try {
        event = buildHookEvent(hook as (typeof HOOK_NAMES)[number], o, await readStdinPayload());
        if (o.phase !== undefined) event.extra = { ...event.extra, phase: o.phase };
      } catch (e) {
        if (e instanceof BadHookInput) throw new CliError(e.message, EXIT.failed);
        throw e;
      }
      try {
        const out = await sendHook(ctx.config, ctx.paths, event);
        if (out.warning) warn(out.warning);
        if (o.json) printJson(out.result);
        else printLine(out.result.message);
      } catch (e) {
        if (e instanceof HookHandlerError) throw new CliError(`${hook} hook failed: ${e.message}`, EXIT.failed);
        throw e;
      }
    });
}
