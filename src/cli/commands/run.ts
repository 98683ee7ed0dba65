// isoswarm run [--chroot DIR] [--isolate] [--keep-on-failure] [--name N] -- CMD ARGS...
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatDuration, printJson, warn } from '../output.js';

interface Flags {
  chroot?: string;
  isolate?: boolean;
  keepOnFailure?: boolean;
  name?: string;
  tune: boolean;
  aptCache?: boolean;
  optimizeSystem?: boolean;
  json?: boolean;
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('run a build under the swarm: tuning exported into its environment, the Monitor watching it, and on ANY exit (success, failure, Ctrl-C, kill -9) its chroot torn down and cleaned by policy; exits with the build\'s code (or 128+signal)')
    .argument('<command...>', 'the build command, after --')
    .option('--chroot <dir>', 'the chroot the build uses: torn down and deleted afterwards (by policy)')
    .option('--isolate', 'run the build in a private mount namespace (slave propagation): its mounts cannot leak to the host')
    .option('--keep-on-failure', 'when the build fails, unmount the chroot but keep its files for inspection')
    .option('--name <name>', 'a name for the run (default: the command\'s name)')
    .option('--no-tune', 'do not apply the tuner\'s settings')
    .option('--apt-cache', 'bind the apt archive cache (config caches.aptDir) into the chroot\'s /var/cache/apt/archives for the build; hits are counted')
    .option('--optimize-system', 'root: tune kernel settings for the build (checkpointed, restored after it, even after a crash)')
    .option('--json', 'print the run record as JSON at the end')
    .passThroughOptions()
    .action(async (command: string[], o: Flags) => {
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { resolve } = await import('node:path');
      const chroot = o.chroot ? resolve(o.chroot) : null;
      if (!command.length) throw new CliError('nothing to run: give the build command after --', EXIT.usage);
      if (chroot) {
        // The chroot is judged before anything runs: a build must not start on a tree we would refuse.
        const { checkChrootPolicy } = await import('../../runtime/chroot-policy.js');
        const refusal = await checkChrootPolicy(chroot, ctx.config);
        if (refusal) throw new CliError(`refusing --chroot ${chroot}: ${refusal.reason} [${refusal.code}]`, EXIT.refused);
      }
      const say = (m: string) => !o.json && warn(m);
      const { withAnySwarm } = await import('../ephemeral.js');
      const { orchestrateRun } = await import('../../run/orchestrate.js');
      const out = await withAnySwarm(
        ctx,
        (nc) => orchestrateRun(ctx.config, nc, { command, chroot, isolate: !!o.isolate, keepOnFailure: !!o.keepOnFailure, name: o.name ?? command[0]!.split('/').pop()!, tune: o.tune, aptCache: !!o.aptCache, optimizeSystem: !!o.optimizeSystem, json: !!o.json, say }),
        say,
      );
      const { saveRun } = await import('../../run/save.js');
      const { record, html } = saveRun(ctx.paths, out.record);
      if (o.json) printJson({ ...record, report: html });
      else {
        const dur = formatDuration(Date.parse(record.endedAt ?? record.startedAt) - Date.parse(record.startedAt));
        warn(`run ${record.runId}: exit ${record.exitCode}${record.signal ? ` (${record.signal})` : ''} after ${dur}`);
        if (record.teardown) warn(`teardown of ${record.teardown.target ?? chroot}: ${record.teardown.status}, ${record.teardown.signalled.length} processes signalled, ${record.teardown.unmounted.length} mounts unmounted`);
        for (const n of record.notes) warn(`note: ${n}`);
        warn(`report: ${html}`);
      }
      process.exitCode = record.exitCode ?? EXIT.failed;
    });
}
