// isoswarm monitor: the request's `optimize_monitor 300` — a live compact view on a TTY, NDJSON otherwise.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printLine } from '../output.js';
import { alertsOf, resourceLine } from '../resource-line.js';

const context = () => import('../context.js');

export function registerMonitor(program: Command, globals: () => GlobalOptions): void {
  program
    .command('monitor')
    .description(
      'watch CPU, memory, load, disks and temp size through the Monitor agent (live on a TTY, NDJSON otherwise)',
    )
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', (v) => Number(v))
    .option('--interval <s>', 'seconds between samples', (v) => Number(v), 1)
    .option('--json', 'NDJSON even on a TTY')
    .action(async (o: { duration?: number; interval: number; json?: boolean }) => {
      if (!(o.interval >= 0.1)) throw new CliError('--interval must be at least 0.1 seconds', EXIT.usage);
      if (o.duration !== undefined && !(o.duration > 0))
        throw new CliError('--duration must be a positive number of seconds', EXIT.usage);
      const c = await context();
      const ctx = c.cliContext(globals());
      const live = process.stdout.isTTY && !o.json;
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      const end = o.duration ? Date.now() + o.duration * 1000 : Infinity;
      await c.withSwarm(ctx, async (nc) => {
        // Decisions worth knowing and notification hooks, from the one event stream, as they come.
        const { watchNotifications } = await import('../../runtime/notify.js');
        const unwatch = watchNotifications(nc, ctx.config.nats.subjectPrefix, (n) => {
          if (live) process.stdout.write(`\r\x1b[2K[${n.level}] ${n.source}: ${n.message}\n`);
          else printLine(JSON.stringify({ type: 'notification', ...n }));
        });
        while (!stop && Date.now() < end) {
          const t = Date.now();
          const r = await c.callRoute(ctx, nc, 'monitor-snapshot', {});
          const alerts = alertsOf(r.thresholds);
          if (live) process.stdout.write(`\r\x1b[2K${resourceLine(r.sample, alerts)}`);
          else printLine(JSON.stringify({ ...r.sample, thresholds: r.thresholds }));
          const wait = Math.min(o.interval * 1000 - (Date.now() - t), end - Date.now());
          if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        }
        unwatch();
      });
      if (live) printLine();
    });
}
