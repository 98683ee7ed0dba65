// isoswarm cache ls | why KEY|PATH | prune [CACHE] [--to SIZE] [--dry-run]: the build caches (apt
// archives, debootstrap roots, debootstrap tarballs), asked of the PerformanceTuner that owns them.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { RouteInput, RouteReply } from '../../schemas/agents/contracts.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, printJson, printLine, table, warn } from '../output.js';

const CACHES = ['apt-archives', 'debootstrap-roots', 'debootstrap-tarballs'] as const;
type CacheName = (typeof CACHES)[number];

/** "500M", "2G", "1048576": bytes; null when not a size. */
export function parseSize(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(s.trim());
  if (!m) return null;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k'];
  return Math.round(Number(m[1]) * mult);
}

export function registerCache(program: Command, globals: () => GlobalOptions): void {
  const cache = program
    .command('cache')
    .description(
      'the build caches: apt archives (an overlay in the chroot), debootstrap roots (the shim restores them), debootstrap tarballs',
    );
  /** Asks the tuner through the running swarm (or one started for this call). */
  const ask = async <R extends 'cache-ls' | 'cache-why' | 'cache-prune'>(
    route: R,
    payload: RouteInput<R>,
    json: boolean | undefined,
  ): Promise<RouteReply<R>> => {
    const c = await import('../context.js');
    const ctx = c.cliContext(globals());
    const { withAnySwarm } = await import('../ephemeral.js');
    // Only a real prune changes anything: a swarm started for a listing or a dry run is read-only.
    const dryRun = route !== 'cache-prune' || (payload as { dryRun?: boolean }).dryRun === true;
    return withAnySwarm(
      ctx,
      (nc) => c.callRoute(ctx, nc, route, payload),
      (m) => !json && warn(m),
      { dryRun },
    );
  };

  cache
    .command('ls')
    .description(
      'each cache: entries, size, its limit (moved by its hit rate and bytes saved within the configured bounds, and why), hits, bytes saved',
    )
    .option('--json', 'print the listing as JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await ask('cache-ls', {}, o.json);
      if (o.json) return printJson(r);
      const rows = [['cache', 'entries', 'size', 'limit', 'hits', 'hit rate', 'saved']];
      for (const x of r.caches)
        rows.push([
          x.cache,
          String(x.entries),
          formatBytes(x.sizeBytes),
          `${formatBytes(x.limit.limitBytes)} (${x.limit.change})`,
          x.record ? `${x.record.hits}/${x.record.hits + x.record.misses}` : '-',
          x.record ? `${Math.round(x.record.hitRate * 100)} %` : '-',
          x.record ? formatBytes(x.record.bytesSaved) : '-',
        ]);
      printLine(table(rows));
      for (const x of r.caches)
        printLine(
          `${x.cache}: ${x.dir}; limit ${formatBytes(x.limit.limitBytes)} within ${formatBytes(x.limit.minBytes)}..${formatBytes(x.limit.maxBytes)}: ${x.limit.reason}`,
        );
    });

  cache
    .command('why <keyOrPath>')
    .description(
      'why a debootstrap root lookup hit or missed: by key (or a unique prefix), root tarball, debootstrap target or cache file; a miss names the spec fields that differed from the nearest stored root',
    )
    .option('--json', 'print the answer as JSON')
    .action(async (subject: string, o: { json?: boolean }) => {
      // A path is the caller's: resolved here, not in the agent's working directory.
      const { resolve } = await import('node:path');
      const r = await ask(
        'cache-why',
        { subject: /^[0-9a-f]{8,64}$/.test(subject) ? subject : resolve(subject) },
        o.json,
      );
      if (o.json) return printJson(r);
      for (const l of r.explanation) printLine(l);
    });

  cache
    .command('prune [cache]')
    .description(
      `evict least recently used entries down to each cache's limit (or --to SIZE): the plan first (--dry-run shows it), each removal journalled; CACHE: ${CACHES.join(', ')} (default: all)`,
    )
    .option('--to <size>', 'evict down to this size instead of the limit (e.g. 0, 500M, 2G)')
    .option('--dry-run', 'print the plan, remove nothing')
    .option('--json', 'print the plan and result as JSON')
    .action(async (name: string | undefined, o: { to?: string; dryRun?: boolean; json?: boolean }) => {
      if (name !== undefined && !(CACHES as readonly string[]).includes(name))
        throw new CliError(`unknown cache ${JSON.stringify(name)}: expected one of ${CACHES.join(', ')}`, EXIT.usage);
      const toBytes = o.to === undefined ? null : parseSize(o.to);
      if (o.to !== undefined && toBytes === null)
        throw new CliError(`--to ${o.to}: expected a size such as 0, 500M or 2G`, EXIT.usage);
      const r = await ask(
        'cache-prune',
        { cache: (name ?? null) as CacheName | null, toBytes, dryRun: !!o.dryRun },
        o.json,
      );
      const refused = r.plans.filter((p) => p.refused);
      if (o.json) printJson(r);
      else {
        for (const p of r.plans) {
          printLine(
            `${p.cache}: ${formatBytes(p.sizeBytes)} -> ${formatBytes(p.afterBytes)} (limit ${formatBytes(p.limitBytes)}: ${p.reason})`,
          );
          if (p.refused) printLine(`  refused: ${p.refused}`);
          for (const e of p.evict)
            printLine(
              `  ${r.dryRun ? 'would evict' : 'evict'} ${e.name} (${formatBytes(e.bytes)}, last used ${e.lastUsed})`,
            );
        }
        for (const x of r.removed) for (const s of x.skipped) printLine(`  kept ${s.path}: ${s.reason}`);
        if (r.journal) printLine(`journal: ${r.journal}`);
      }
      if (refused.length) process.exitCode = EXIT.refused;
    });
}
