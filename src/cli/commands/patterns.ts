// isoswarm patterns: what the swarm has learned, in sentences a person reads, with the counts behind them.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { formatBytes, formatDuration, printJson, printLine } from '../output.js';

type Rec = Record<string, unknown>;

function describe(key: string, v: Rec): string {
  const kind = key.split('/')[1];
  switch (kind) {
    case 'unmount-strategies': {
      const s = (v.strategies ?? {}) as Record<string, { attempts: number; successes: number; totalMs: number }>;
      const parts = Object.entries(s)
        .sort((a, b) => b[1].successes / b[1].attempts - a[1].successes / a[1].attempts)
        .map(
          ([n, x]) =>
            `${n} ${x.successes}/${x.attempts} ok, avg ${formatDuration(x.totalMs / Math.max(1, x.attempts))}`,
        );
      return `unmounting ${v.fsType}: ${parts.join('; ') || 'no attempts yet'}`;
    }
    case 'cleanup-success':
      return `cleanup of ${v.target}: ${v.successes}/${v.runs} done, ${v.refusals} refused, ${v.failures} failed; ${formatBytes(Number(v.bytesFreed))} freed; last ${v.lastStatus} in ${formatDuration(Number(v.lastDurationMs))}`;
    case 'caching-effectiveness':
      return `cache ${v.cache}: hit rate ${(Number(v.hitRate) * 100).toFixed(0)} % (${v.hits} hits, ${v.misses} misses over ${v.builds} builds), ${formatBytes(Number(v.bytesSaved))} not downloaded again`;
    case 'parallel-config': {
      const c = (v.choice ?? {}) as Rec;
      const label = typeof c.label === 'string' ? c.label : JSON.stringify(c);
      return `host ${key.split('/')[2]}: chose ${label} (measured ${v.measuredAt}, ${Array.isArray(v.candidates) ? v.candidates.length : 0} candidates)`;
    }
    default: {
      const totals = Object.entries((v.totals ?? {}) as Record<string, number>)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      const entries = Array.isArray(v.entries) ? v.entries.length : 0;
      return `${kind}: ${totals || 'no totals'} (${entries} recent entries)`;
    }
  }
}

const context = () => import('../context.js');

export function registerPatterns(program: Command, globals: () => GlobalOptions): void {
  const patterns = program
    .command('patterns')
    .description('print what has been learned (optimization/* records) in plain words')
    .option('--json', 'print the records as JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { openReader } = await import('../memory-access.js');
      const entries = (await openReader(ctx))?.list('optimization/') ?? [];
      if (o.json) {
        printJson(entries);
        return;
      }
      if (!entries.length) {
        printLine('nothing learned yet: patterns appear after unmounts, cleanups, tuning and builds');
        return;
      }
      for (const e of entries) printLine(`• ${describe(e.key, e.value as Rec)}   [${e.key}, updated ${e.updatedAt}]`);
    });
  patterns
    .command('explain <key>')
    .description(
      'one pattern: the record, the measurements behind it and the decisions it changed (KEY: e.g. optimization/unmount-strategies/proc; a pattern name alone explains all its records)',
    )
    .option('--json', 'print the explanation as JSON')
    .action(async (key: string, o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { explainPatterns } = await import('./patterns-explain.js');
      await explainPatterns(ctx, key, o.json ?? false);
    });
}
