// isoswarm guard [--cwd DIR] [--json] -- 'COMMAND LINE': judges a shell command line before it runs.
import type { Command } from 'commander';
import type { GuardVerdict } from '../../guard/verdict.js';
import type { Config } from '../../schemas/config.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

async function viaSwarm(config: Config, line: string, cwd: string): Promise<GuardVerdict | null> {
  const { linkSwarm } = await import('../../runtime/swarm-link.js');
  const { statePaths } = await import('../../host/system/state-dir.js');
  const s = await linkSwarm({ config, paths: statePaths() }, config.nats.hookTimeoutMs).catch(() => null);
  if (!s) return null;
  try {
    return await (await import('../../guard/remote.js')).judgeViaSwarm(s, line, cwd, [process.ppid]);
  } finally {
    await s.close();
  }
}

interface Flags {
  cwd?: string;
  json?: boolean;
}

export function registerGuard(program: Command, globals: () => GlobalOptions): void {
  program
    .command('guard')
    .argument('<command-line>', 'the command line, as one argument (as a shell would get it)')
    .description(
      'judge a shell command line against the live mount table, the processes rooted in each tree and the path policy, before it runs. Exit 0 = allow, 3 = deny (with the reason and the isoswarm command that does it safely). What cannot be parsed or judged is allowed, with a note',
    )
    .option('--cwd <dir>', 'the directory the command would run in (default: the current one)')
    .option('--json', 'print the verdict as JSON')
    .action(async (line: string, o: Flags) => {
      const { guardConfig } = await import('../../guard/guard-config.js');
      const { effectivePolicy } = await import('../../runtime/policy.js');
      const { judgeCommandLine, denyMessage, needsParser } = await import('../../guard/guard.js');
      if (o.cwd !== undefined && !o.cwd.startsWith('/'))
        throw new CliError('--cwd must be an absolute path', EXIT.usage);
      const cwd = o.cwd ?? process.cwd();
      const config = await guardConfig(globals().config);
      // With the swarm up, its coordinator judges with a parser that is already loaded.
      const v =
        (needsParser(line) ? await viaSwarm(config, line, cwd) : null) ??
        (await judgeCommandLine(line, { cwd, policy: effectivePolicy(config), exclude: [process.ppid] }));
      if (o.json) printJson(v);
      else {
        if (v.decision === 'deny') printLine(denyMessage(v));
        else printLine('allow');
        for (const n of v.notes) printLine(`note: ${n}`);
      }
      if (v.decision === 'deny') process.exitCode = EXIT.refused;
    });
}
