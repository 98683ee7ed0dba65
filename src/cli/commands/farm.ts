// isoswarm farm credentials: the users of a farm's NATS cluster, one per role and host, bound to their
// host's subjects. Writes the servers' authorization include and one credentials file per host.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { printJson, printLine } from '../output.js';

export function registerFarm(program: Command, globals: () => GlobalOptions): void {
  const farm = program
    .command('farm')
    .description("a build farm's shared bus: credentials for its hosts (docs/farm.md)");
  farm
    .command('credentials')
    .description(
      'write nats-auth.conf (include it in every cluster node) and <host>.farm-credentials.json (one per host); run again to rotate',
    )
    .requiredOption('--hosts <names>', 'the farm hosts, comma-separated (subject tokens: letters, digits, _ and -)')
    .requiredOption('--out <dir>', 'where to write the files (created 0700; the files are 0600)')
    .option('--json', 'print what was written as JSON')
    .action(async (o: { hosts: string; out: string; json?: boolean }) => {
      const { CliError, EXIT } = await import('../exit-codes.js');
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const hosts = o.hosts
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean);
      const bad = hosts.filter((h) => !/^[A-Za-z0-9_-]{1,64}$/.test(h));
      if (!hosts.length || bad.length)
        throw new CliError(
          `--hosts: not host names (letters, digits, _ and -): ${bad.join(', ') || '(none)'}`,
          EXIT.usage,
        );
      const { mkdirSync, writeFileSync, renameSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { farmAuthorization, makeFarmCredentials } = await import('../../bus/farm-auth.js');
      const out = resolve(o.out);
      mkdirSync(out, { recursive: true, mode: 0o700 });
      const files = makeFarmCredentials(hosts, ctx.config.nats.subjectPrefix);
      const write = (name: string, text: string) => {
        const tmp = join(out, `.${name}.tmp`);
        writeFileSync(tmp, text, { mode: 0o600 });
        renameSync(tmp, join(out, name));
        return join(out, name);
      };
      const written = [
        write(
          'nats-auth.conf',
          `# isoswarm farm users (${hosts.join(', ')})\nauthorization: ${JSON.stringify(farmAuthorization(files), null, 2)}\n`,
        ),
        ...files.map((f) => write(`${f.host}.farm-credentials.json`, `${JSON.stringify(f, null, 2)}\n`)),
      ];
      if (o.json) printJson({ hosts, files: written });
      else {
        for (const w of written) printLine(w);
        printLine(
          'include nats-auth.conf in every node and reload (nats-server --signal reload), then install each host file (docs/farm.md)',
        );
      }
    });
}
