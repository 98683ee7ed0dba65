// isoswarm up | down
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

const context = () => import('../context.js');

export function registerLifecycle(program: Command, globals: () => GlobalOptions): void {
  program
    .command('up')
    .description('start the swarm: a private nats-server (unless NATS_URL is set), the coordinator and the four agents; returns when all five answer PING')
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--json', 'print the result as JSON')
    .action(async (o: { foreground?: boolean; json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { up, down } = await import('../../runtime/lifecycle.js');
      const { MissingNatsServerError } = await import('../../bus/nats-server.js');
      // Interrupted runs' leftovers as found at start (the coordinator then finishes runs whose runner was lost).
      const { findLeftovers, describeLeftover } = await import('../../run/leftovers.js');
      const leftovers = await findLeftovers(ctx.paths.root);
      if (!o.json) for (const l of leftovers) process.stderr.write(`warning: ${describeLeftover(l)}; \`isoswarm run --recover\` or \`isoswarm unmount ${l.chroot}\` tears them down\n`);
      let r;
      try {
        r = await up(ctx.config, ctx.paths, { foreground: o.foreground, onProgress: (m) => !o.json && process.stderr.write(`… ${m}\n`) });
      } catch (e) {
        if (e instanceof MissingNatsServerError) throw new CliError(e.message, EXIT.unavailable);
        throw new CliError(`could not start the swarm: ${(e as Error).message}`, EXIT.failed);
      }
      const summary = { leftovers, alreadyUp: r.alreadyUp, url: r.run.url, embedded: r.run.embedded, services: r.services.map((s) => ({ name: s.name, id: s.id, pid: s.metadata?.pid })), logFile: r.run.logFile };
      if (o.json) printJson(summary);
      else {
        printLine(r.alreadyUp ? `swarm already up on ${r.run.url}` : `swarm up on ${r.run.url}`);
        for (const s of summary.services) printLine(`  ${s.name.padEnd(18)} pid ${s.pid}`);
        printLine(`logs: ${r.run.logFile}`);
      }
      if (o.foreground && r.coordinatorExit) {
        const stop = () => void down(ctx.paths).then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const code = await r.coordinatorExit;
        await down(ctx.paths);
        process.exitCode = code === 0 ? 0 : EXIT.failed;
      }
    });

  program
    .command('down')
    .description('stop everything `isoswarm up` started (coordinator, agents, private nats-server), gracefully')
    .option('--json', 'print the result as JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { down } = await import('../../runtime/lifecycle.js');
      const r = await down(ctx.paths);
      if (o.json) printJson(r);
      else if (!r.wasUp) printLine('swarm was not running');
      else printLine(`stopped ${r.stopped.map((s) => `${s.what} (pid ${s.pid})`).join(', ')}`);
      if (r.notExited.length) throw new CliError(`still running after SIGKILL: ${r.notExited.map((s) => `${s.what} (pid ${s.pid})`).join(', ')}`, EXIT.failed);
    });
}
