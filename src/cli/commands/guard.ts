// isoswarm guard [--cwd DIR] [--json] -- 'COMMAND LINE': judges a shell command line before it runs.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

interface Flags {
  cwd?: string;
  json?: boolean;
}

export function registerGuard(program: Command, globals: () => GlobalOptions): void {
  program
    .command('guard')
    .argument('<command-line>', 'the command line, as one argument (as a shell would get it)')
    .description('judge a shell command line against the live mount table, the processes rooted in each tree and the path policy, before it runs. Exit 0 = allow, 3 = deny (with the reason and the isoswarm command that does it safely). What cannot be parsed or judged is allowed, with a note')
    .option('--cwd <dir>', 'the directory the command would run in (default: the current one)')
    .option('--json', 'print the verdict as JSON')
    .action(async (line: string, o: Flags) => {
      const { guardPolicy } = await import('../../guard/guard-config.js');
      const { judgeCommandLine, denyMessage } = await import('../../guard/guard.js');
      if (o.cwd !== undefined && !o.cwd.startsWith('/')) throw new CliError('--cwd must be an absolute path', EXIT.usage);
      const policy = await guardPolicy(globals().config);
      const v = await judgeCommandLine(line, { cwd: o.cwd ?? process.cwd(), policy });
      if (o.json) printJson(v);
      else {
        if (v.decision === 'deny') printLine(denyMessage(v));
        else printLine('allow');
        for (const n of v.notes) printLine(`note: ${n}`);
      }
      if (v.decision === 'deny') process.exitCode = EXIT.refused;
    });
}
