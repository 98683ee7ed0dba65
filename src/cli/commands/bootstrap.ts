// isoswarm bootstrap SUITE TARGET [MIRROR]: debootstrap through the swarm's tarball cache.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, formatDuration, printJson, printLine, warn } from '../output.js';

export function registerBootstrap(program: Command, globals: () => GlobalOptions): void {
  program
    .command('bootstrap <suite> <target> [mirror]')
    .description(
      "debootstrap a base system into TARGET through the tarball cache: fetched once per suite/arch/variant/mirror/packages, unpacked without downloading after that (MIRROR: default, the one this host's apt uses)",
    )
    .option('--variant <variant>', 'minbase, buildd or fakechroot')
    .option('--include <pkgs>', 'comma-separated extra packages')
    .option('--arch <arch>', "Debian architecture (default: this machine's)")
    .option('--json', 'print the result as JSON')
    .action(
      async (
        suite: string,
        target: string,
        mirror: string | undefined,
        o: { variant?: string; include?: string; arch?: string; json?: boolean },
      ) => {
        const c = await import('../context.js');
        const ctx = c.cliContext(globals());
        const { resolve } = await import('node:path');
        const { aptMirror, debianArch } = await import('../../host/system/apt-mirror.js');
        if (o.variant && !['minbase', 'buildd', 'fakechroot'].includes(o.variant))
          throw new CliError('--variant must be minbase, buildd or fakechroot', EXIT.usage);
        const { withAnySwarm } = await import('../ephemeral.js');
        const payload = {
          target: resolve(target),
          suite,
          mirror: mirror ?? aptMirror(),
          arch: o.arch ?? debianArch(),
          ...(o.variant ? { variant: o.variant as 'minbase' | 'buildd' | 'fakechroot' } : {}),
          include: o.include
            ? o.include
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : [],
        };
        const r = await withAnySwarm(
          ctx,
          (nc) => c.callRoute(ctx, nc, 'bootstrap', payload),
          (m) => !o.json && warn(m),
        );
        if (o.json) return printJson(r);
        printLine(
          `${r.target}: ${payload.suite} ${r.cache === 'hit' ? 'unpacked from the cache' : 'fetched, cached and unpacked'} (${r.makeMs !== null ? `fetch ${formatDuration(r.makeMs)}, ` : ''}unpack ${formatDuration(r.unpackMs)})`,
        );
        printLine(
          `tarball cache: ${r.stats.hits} hit(s), ${r.stats.misses} miss(es) this time, ${formatBytes(r.stats.sizeBytes)} cached`,
        );
      },
    );
}
