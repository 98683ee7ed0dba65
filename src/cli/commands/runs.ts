// isoswarm runs: active and recent runs from the durable run registry (works with the swarm down).
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { printJson, printLine, table } from '../output.js';

export function registerRuns(program: Command, globals: () => GlobalOptions): void {
  program
    .command('runs')
    .description(
      'list active and recent runs: id, state (running, post-task, runner lost, done), chroot, exit code, report',
    )
    .option('--limit <n>', 'how many finished runs to show (newest)', '20')
    .option('--json', 'print as JSON')
    .action(async (o: { limit: string; json?: boolean }) => {
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { listEntries, stateOf } = await import('../../run/registry.js');
      const limit = Math.max(0, Number.parseInt(o.limit, 10) || 0);
      const all = listEntries(ctx.paths.root).map((e) => ({
        runId: e.runId,
        state: stateOf(e),
        chroot: e.run?.chroot ?? null,
        cliPid: e.run?.cli.pid ?? null,
        buildPid: e.guardian?.build.pid ?? null,
        exitCode: e.done?.exitCode ?? e.exit?.exitCode ?? null,
        lost: e.lost,
        report: e.done?.report ?? null,
        problems: e.problems,
      }));
      const active = all.filter((r) => !r.state.startsWith('done'));
      const recent = all.filter((r) => r.state.startsWith('done')).slice(-limit);
      if (o.json) {
        printJson({ active, recent });
        return;
      }
      const rows = [...active, ...recent];
      if (!rows.length) {
        printLine('no runs registered');
        return;
      }
      printLine(
        table([
          ['RUN', 'STATE', 'EXIT', 'CHROOT', 'REPORT'],
          ...rows.map((r) => [
            r.runId,
            r.state,
            r.exitCode === null ? '-' : String(r.exitCode),
            r.chroot ?? '-',
            r.report ?? '-',
          ]),
        ]),
      );
      for (const r of rows) for (const p of r.problems) printLine(`${r.runId}: ${p}`);
    });
}
