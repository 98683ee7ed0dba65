// isoswarm shell-run open|step|close: the run of a shell script that uses the shell functions
// (init_optimization_system opens it and exports ISOSWARM_RUN_ID; each function records its call as
// a step; generate_build_report closes it and reports that run). See src/run/shell-run.ts.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine, warn } from '../output.js';

const mod = () => import('../../run/shell-run.js');

async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  const { ShellRunError } = await mod();
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ShellRunError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

function nonNegativeInt(v: string, what: string): number {
  if (!/^\d+$/.test(v)) throw new CliError(`${what} must be a non-negative integer (got "${v}")`, EXIT.usage);
  return Number(v);
}

export function registerShellRun(program: Command, globals: () => GlobalOptions): void {
  const cmd = program
    .command('shell-run')
    .description(
      'the run of a script using the shell functions: open (prints the run id), step (records one call), close (writes its record and report)',
    );
  cmd
    .command('open')
    .description('open a run and print its id (init_optimization_system exports it as ISOSWARM_RUN_ID)')
    .option('--name <name>', 'the run name (default: script)', 'script')
    .argument('[command...]', 'the script and its arguments, for the record')
    .option('--json', 'print {runId} as JSON')
    .action(async (command: string[], o: { name: string; json?: boolean }) => {
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { openShellRun } = await mod();
      const runId = await guarded(() => openShellRun(ctx.paths, o.name, command, process.ppid));
      if (o.json) printJson({ runId });
      else printLine(runId);
    });
  cmd
    .command('step <run> <name>')
    .description("record one shell function's call in the run")
    .requiredOption('--started-ms <epochMs>', 'when the call started (epoch milliseconds)')
    .requiredOption('--exit <code>', "the call's exit code")
    .action(async (run: string, name: string, o: { startedMs: string; exit: string }) => {
      const started = nonNegativeInt(o.startedMs, '--started-ms');
      const exitCode = nonNegativeInt(o.exit, '--exit');
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { addShellStep } = await mod();
      await guarded(() =>
        addShellStep(ctx.paths, run, {
          name,
          startedAt: new Date(started).toISOString(),
          endedAt: new Date().toISOString(),
          exitCode,
        }),
      );
    });
  cmd
    .command('close <run>')
    .description('close the run: its record and HTML report, with the mksquashfs calls the swarm saw in it')
    .option('--json', 'print the record and report paths as JSON')
    .action(async (run: string, o: { json?: boolean }) => {
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { closeShellRun } = await mod();
      // The shim's calls in this run, when the swarm is up (it is not started for this).
      let squashfsCalls: { callId: string }[] | undefined;
      const s = await c.connectSwarm(ctx).catch(() => null);
      if (s) {
        try {
          const r = await c.callRoute(ctx, s.nc, 'squashfs-calls', { runId: run });
          if (r.calls.length) squashfsCalls = r.calls;
        } catch (e) {
          warn(`the run's mksquashfs calls could not be read: ${(e as Error).message}`);
        } finally {
          const { closeBus } = await import('../../bus/connect.js');
          await closeBus(s.nc);
        }
      }
      const r = await guarded(() => closeShellRun(ctx.paths, run, squashfsCalls ? { squashfsCalls } : {}));
      if (o.json) printJson(r);
    });
}
