// isoswarm shell-run open|step|close: the run of a shell script that uses the shell functions
// (init_optimization_system opens it and exports ISOSWARM_RUN_ID; each function records its call as
// a step; generate_build_report closes it and reports that run). See src/run/shell-run.ts.
// `lock` holds the build lock on the script's tree until close or until the shell dies (shell-lock.ts).
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine, warn } from '../output.js';

const mod = () => import('../../run/shell-run.js');
const lockMod = () => import('../../run/shell-lock.js');

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
      'the run of a script using the shell functions: open (prints the run id), step (records one call), lock (holds the build lock on its tree), close (lets go of it, writes its record and report)',
    );
  cmd
    .command('open')
    .description('open a run and print its id (init_optimization_system exports it as ISOSWARM_RUN_ID)')
    .option('--name <name>', 'the run name (default: script)', 'script')
    .argument('[command...]', 'the script and its arguments, for the record')
    .option('--shell-pid <pid>', "the script's shell, whose end lets go of the run's locks (default: the caller)")
    .option('--also-pid <pid>', 'a second shell whose life also keeps the locks (a pipeline subshell)')
    .option('--json', 'print {runId} as JSON')
    .action(async (command: string[], o: { name: string; shellPid?: string; alsoPid?: string; json?: boolean }) => {
      const shell = o.shellPid === undefined ? process.ppid : nonNegativeInt(o.shellPid, '--shell-pid');
      const also = o.alsoPid === undefined ? undefined : nonNegativeInt(o.alsoPid, '--also-pid');
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { openShellRun } = await mod();
      const runId = await guarded(() => openShellRun(ctx.paths, o.name, command, shell, also));
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
    .command('lock <run> <dir>')
    .description(
      "hold the build lock on DIR, the script's build tree, until close or until the script's shell ends: cleanups, teardowns and runs of it by others are refused meanwhile. Exit 0 held (or DIR is one the path policy never lets isoswarm take apart: then it is left unlocked, with a note), 3 refused (a cleanup or another build has it)",
    )
    .option('--json', 'print {tree, holderPid, already, notLocked} as JSON')
    .action(async (run: string, dir: string, o: { json?: boolean }) => {
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { lockShellRunTree, ShellLockRefusal } = await lockMod();
      // As for `isoswarm run --chroot`: a tree the policy refuses is never taken apart, so it needs no
      // lock, and a lock on a dir that broad (/srv, a home) would keep every cleanup inside it out.
      const notAllowed = async (tree: string) => {
        const { checkChrootPolicy } = await import('../../runtime/chroot-policy.js');
        const refusal = await checkChrootPolicy(tree, ctx.config);
        return refusal && `${refusal.reason} [${refusal.code}]`;
      };
      const r = await guarded(() => lockShellRunTree(ctx.paths, run, dir, notAllowed)).catch((e: unknown) => {
        if (e instanceof ShellLockRefusal)
          throw new CliError(`refusing to lock ${dir} for run ${run}: ${e.message}`, EXIT.refused);
        throw e;
      });
      if (o.json)
        printJson({ tree: r.tree, holderPid: r.holder?.pid ?? null, already: r.already, notLocked: r.notLocked });
      else if (r.notLocked) warn(`isoswarm: ${dir} is not locked: isoswarm never takes it apart (${r.notLocked})`);
      else
        printLine(
          `${r.tree} is locked for run ${run} (holder pid ${r.holder!.pid}) until it is closed or its shell ends`,
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
      // The close line first: a holder started after it sees it and lets go by itself (shell-lock-holder).
      const r = await guarded(() => closeShellRun(ctx.paths, run, squashfsCalls ? { squashfsCalls } : {}));
      // The build is over: its trees are let go.
      const { releaseShellRunLocks } = await lockMod();
      const left = await guarded(() => releaseShellRunLocks(ctx.paths, run));
      if (left.length) warn(`the lock on ${left.join(', ')} could not be let go: its holder did not exit`);
      if (o.json) printJson(r);
    });
}
