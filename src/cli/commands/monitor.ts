// isoswarm monitor: the request's `optimize_monitor 300` — a live compact view on a TTY, NDJSON otherwise.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, printLine } from '../output.js';

interface Sample {
  at: number;
  cpuPct: number;
  memPct: number;
  load1: number;
  disks: { path: string; usedPct: number; freeBytes: number }[];
  temp: { path: string; bytes: number; files: number; complete: boolean } | null;
}

const context = () => import('../context.js');

function line(s: Sample, alerts: string): string {
  const disks = s.disks.map((d) => `${d.path} ${d.usedPct.toFixed(1)}% (${formatBytes(d.freeBytes)} free)`).join(', ');
  const temp = s.temp
    ? ` | temp ${formatBytes(s.temp.bytes)}${s.temp.complete ? '' : '+'} in ${s.temp.files} files`
    : '';
  return `${new Date(s.at).toLocaleTimeString()} cpu ${s.cpuPct.toFixed(1)}% | mem ${s.memPct.toFixed(1)}% | load ${s.load1.toFixed(2)} | ${disks}${temp}${alerts}`;
}

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
          const alerts = Object.entries(r.thresholds)
            .filter(([, v]) => v.state !== 'ok')
            .map(([k, v]) => ` | ${v.state.toUpperCase()} ${k}`)
            .join('');
          if (live) process.stdout.write(`\r\x1b[2K${line(r.sample, alerts)}`);
          else printLine(JSON.stringify({ ...r.sample, thresholds: r.thresholds }));
          const wait = Math.min(o.interval * 1000 - (Date.now() - t), end - Date.now());
          if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        }
        unwatch();
      });
      if (live) printLine();
    });
}
