// isoswarm tune: measured compression and parallel settings for a tree, remembered per host;
// --optimize-system / --rollback for the host's kernel settings, with an exact checkpoint.
import type { Command } from 'commander';
import type { TuneInput } from '../../schemas/agents/performance-tuner.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, formatDuration, printJson, printLine, table, warn } from '../output.js';

interface Flags {
  mode: string;
  target?: string;
  benchmark?: boolean;
  export?: boolean;
  json?: boolean;
  verbose?: boolean;
  force?: boolean;
  optimizeSystem?: boolean;
  rollback?: boolean;
  dryRun?: boolean;
  monitor?: boolean;
}

/** A user's PARALLEL_JOBS (environment, then config) wins over the recommendation, and says so. */
function userJobs(exports: string, configured: number | 'auto', say: (m: string) => void): string {
  const env = process.env.PARALLEL_JOBS;
  const user =
    env && /^[1-9]\d*$/.test(env)
      ? { n: env, from: 'environment' }
      : typeof configured === 'number'
        ? { n: String(configured), from: 'config parallelJobs' }
        : null;
  if (!user) return exports;
  say(`PARALLEL_JOBS=${user.n} is the user's (${user.from}); MAKEFLAGS follows it`);
  return exports
    .replace(/^export PARALLEL_JOBS=.*$/m, `export PARALLEL_JOBS='${user.n}'  # the user's (${user.from})`)
    .replace(/^export MAKEFLAGS=.*$/m, `export MAKEFLAGS='-j${user.n}'`);
}

export function registerTune(program: Command, globals: () => GlobalOptions): void {
  program
    .command('tune')
    .description(
      'measure mksquashfs compressors, levels, block sizes and processor counts on a sample of the tree and recommend build settings (PARALLEL_JOBS, MAKEFLAGS, XZ_DEFAULTS, ZSTD_NBTHREADS, MKSQUASHFS_OPTS); remembered per host',
    )
    .option(
      '--mode <mode>',
      'auto (weighs build time, size and boot read-back), conservative (smallest image), aggressive (fastest within +25 % of the xz -b 1M image)',
      'auto',
    )
    .option('--target <dir>', 'the tree the build squashes (without it: parallelism only, plus what this host learned)')
    .option(
      '--benchmark',
      'also measure the host (CPU, memory bandwidth, disk, compressors) and store it with its fingerprint',
    )
    .option('--export', 'print only `export NAME=value` lines, for: eval "$(isoswarm tune --export)"')
    .option('--force', 'measure again even when this host has a fresh result for a similar tree')
    .option(
      '--optimize-system',
      'root: tune vm dirty ratios, cache pressure, CPU governor and I/O scheduler, checkpointing every old value',
    )
    .option('--rollback', 'restore the settings --optimize-system changed, byte for byte')
    .option('--dry-run', 'with --optimize-system: show what would change, change nothing')
    .option('--verbose', 'show the table of candidates measured')
    .option('--monitor', 'show live resource use (CPU, memory, load, disks) on stderr while tuning')
    .option('--json', 'print the full result as JSON')
    .action(async (o: Flags, cmd: Command) => {
      if (!['auto', 'conservative', 'aggressive'].includes(o.mode))
        throw new CliError(`--mode must be auto, conservative or aggressive (got "${o.mode}")`, EXIT.usage);
      // Without a tree nothing is measured: options that only change a measurement are refused, not ignored.
      if (!o.target && !o.rollback && !(o.optimizeSystem && !o.export)) {
        const given = [
          cmd.getOptionValueSource('mode') === 'cli' && '--mode',
          o.force && '--force',
          o.benchmark && '--benchmark',
        ].filter(Boolean);
        if (given.length)
          throw new CliError(
            `${given.join(', ')} need${given.length === 1 ? 's' : ''} --target DIR: without a tree there is nothing to measure (only parallelism and what this host learned are reported)`,
            EXIT.usage,
          );
      }
      if (o.rollback && o.optimizeSystem)
        throw new CliError('--rollback and --optimize-system exclude each other', EXIT.usage);
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { resolve } = await import('node:path');
      const { withAnySwarm } = await import('../ephemeral.js');
      const say = (m: string) => !o.json && !o.export && warn(m);
      if (!ctx.config.optimizationEnabled && !o.rollback) {
        // OPTIMIZATION_ENABLED=false: nothing is measured or exported (an eval of the output is a no-op).
        warn('optimization is disabled (OPTIMIZATION_ENABLED=false or optimizationEnabled: false): nothing tuned');
        if (o.json) printJson({ disabled: true });
        return;
      }
      const { watchResources } = await import('../resource-watch.js');
      let monitor: import('../resource-watch.js').WatchSummary | undefined;
      const work = await withAnySwarm(
        ctx,
        async (nc) => {
          const w = o.monitor ? watchResources(ctx, nc, (l) => process.stderr.write(`${l}\n`)) : null;
          try {
            return await tuneWork(nc);
          } finally {
            monitor = await w?.stop();
          }
        },
        say,
        { dryRun: !!o.dryRun },
      );
      const out = monitor ? { ...work, monitor } : work;
      // The work itself, on whichever swarm answers (the watch samples beside it).
      async function tuneWork(nc: import('../../bus/connect.js').NatsConnection) {
        if (o.rollback) return { system: await c.callRoute(ctx, nc, 'system', { action: 'rollback' }) };
        const system = o.optimizeSystem
          ? await c.callRoute(ctx, nc, 'system', {
              action: 'apply',
              buildDir: o.target ? resolve(o.target) : '/',
              dryRun: !!o.dryRun,
            })
          : undefined;
        if (o.optimizeSystem && !o.target) return { system };
        const tune = await c.callRoute(ctx, nc, 'tune', {
          target: o.target ? resolve(o.target) : null,
          mode: o.mode as TuneInput['mode'],
          force: !!o.force,
          benchmark: !!o.benchmark,
        });
        return { tune, system };
      }
      if (o.json) return printJson(out);
      if ('tune' in out && out.tune) {
        const t = out.tune;
        t.exports = userJobs(t.exports, ctx.config.parallelJobs, say);
        if (o.export) return void process.stdout.write(t.exports);
        printLine(t.choice ? `choice: ${t.choice.label} — ${t.reason}` : t.reason);
        if (t.predicted)
          printLine(
            `predicted for the whole tree: ${formatDuration(t.predicted.timeMs)}, ${formatBytes(t.predicted.sizeBytes)}`,
          );
        printLine(
          t.fastPath
            ? 'reused what this host measured before (fast path)'
            : `measured now${t.durationMs ? ` in ${formatDuration(t.durationMs)}` : ''}`,
        );
        if (o.verbose && t.candidates.length) {
          printLine(
            table([
              ['CANDIDATE', 'BUILD', 'IMAGE', 'READ-BACK'],
              ...t.candidates.map((x) => [
                x.label,
                formatDuration(x.predicted.buildMs),
                formatBytes(x.predicted.imageBytes),
                formatDuration(x.predicted.readBackMs),
              ]),
            ]),
          );
        }
        process.stdout.write(t.exports);
      }
      if (out.system) printLine(JSON.stringify(out.system, null, 2));
    });
}
