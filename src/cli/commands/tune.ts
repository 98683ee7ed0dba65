// isoswarm tune: measured compression and parallel settings for a tree, remembered per host;
// --optimize-system / --rollback for the host's kernel settings, with an exact checkpoint.
import type { Command } from 'commander';
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
}

interface TuneReply {
  env: Record<string, string>;
  exports: string;
  choice: { label: string; reason: string } | null;
  predicted: { timeMs: number; sizeBytes: number } | null;
  fastPath: boolean;
  reason: string;
  durationMs?: number;
  candidates: { label: string; predicted: { buildMs: number; imageBytes: number; readBackMs: number } }[];
}

export function registerTune(program: Command, globals: () => GlobalOptions): void {
  program
    .command('tune')
    .description('measure mksquashfs compressors, levels, block sizes and processor counts on a sample of the tree and recommend build settings (PARALLEL_JOBS, MAKEFLAGS, XZ_DEFAULTS, ZSTD_NBTHREADS, MKSQUASHFS_OPTS); remembered per host')
    .option('--mode <mode>', 'auto (weighs build time, size and boot read-back), conservative (smallest image), aggressive (fastest within +25 % of the smallest)', 'auto')
    .option('--target <dir>', 'the tree the build squashes (without it: parallelism only, plus what this host learned)')
    .option('--benchmark', 'also measure the host (CPU, memory bandwidth, disk, compressors) and store it with its fingerprint')
    .option('--export', 'print only `export NAME=value` lines, for: eval "$(isoswarm tune --export)"')
    .option('--force', 'measure again even when this host has a fresh result for a similar tree')
    .option('--optimize-system', 'root: tune vm dirty ratios, cache pressure, CPU governor and I/O scheduler, checkpointing every old value')
    .option('--rollback', 'restore the settings --optimize-system changed, byte for byte')
    .option('--dry-run', 'with --optimize-system: show what would change, change nothing')
    .option('--verbose', 'show the table of candidates measured')
    .option('--json', 'print the full result as JSON')
    .action(async (o: Flags) => {
      if (!['auto', 'conservative', 'aggressive'].includes(o.mode)) throw new CliError(`--mode must be auto, conservative or aggressive (got "${o.mode}")`, EXIT.usage);
      if (o.rollback && o.optimizeSystem) throw new CliError('--rollback and --optimize-system exclude each other', EXIT.usage);
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { resolve } = await import('node:path');
      const { withAnySwarm } = await import('../ephemeral.js');
      const say = (m: string) => !o.json && !o.export && warn(m);
      const out = await withAnySwarm(ctx, async (nc) => {
        const call = <T>(ep: string, p: unknown) => c.callCoordinator<T>(ctx, nc, ep, p);
        if (o.rollback) return { system: await call<unknown>('system', { action: 'rollback' }) };
        const system = o.optimizeSystem ? await call<unknown>('system', { action: 'apply', buildDir: o.target ? resolve(o.target) : '/', dryRun: !!o.dryRun }) : undefined;
        if (o.optimizeSystem && !o.target) return { system };
        const tune = await call<TuneReply>('tune', { target: o.target ? resolve(o.target) : null, mode: o.mode, force: !!o.force, benchmark: !!o.benchmark });
        return { tune, system };
      }, say);
      if (o.json) return printJson(out);
      if ('tune' in out && out.tune) {
        const t = out.tune;
        if (o.export) return void process.stdout.write(t.exports);
        printLine(t.choice ? `choice: ${t.choice.label} — ${t.reason}` : t.reason);
        if (t.predicted) printLine(`predicted for the whole tree: ${formatDuration(t.predicted.timeMs)}, ${formatBytes(t.predicted.sizeBytes)}`);
        printLine(t.fastPath ? 'reused what this host measured before (fast path)' : `measured now${t.durationMs ? ` in ${formatDuration(t.durationMs)}` : ''}`);
        if (o.verbose && t.candidates.length) {
          printLine(table([['CANDIDATE', 'BUILD', 'IMAGE', 'READ-BACK'], ...t.candidates.map((x) => [x.label, formatDuration(x.predicted.buildMs), formatBytes(x.predicted.imageBytes), formatDuration(x.predicted.readBackMs)])]));
        }
        process.stdout.write(t.exports);
      }
      if (out.system) printLine(JSON.stringify(out.system, null, 2));
    });
}
