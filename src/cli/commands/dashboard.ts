// isoswarm dashboard | metrics: the live page (and /metrics), or /metrics alone, served by this
// process while it runs, connected to the running swarm.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

const context = () => import('../context.js');

interface ServeOptions {
  port?: string;
  bind?: string;
  token?: string;
  json?: boolean;
}

export function parsePort(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535)
    throw new CliError(`--port must be a number 0-65535 (0 picks a free port), got ${JSON.stringify(v)}`, EXIT.usage);
  return n;
}

/** --token, else ISOSWARM_DASHBOARD_TOKEN; checked against the bind address before anything starts. */
export async function serveOptions(
  o: ServeOptions,
  defaultPort: number,
): Promise<{ port: number; bind: string; token?: string }> {
  const { checkBind, DashboardAccessError } = await import('../../dashboard/access.js');
  const { DEFAULT_BIND } = await import('../../dashboard/start.js');
  const port = parsePort(o.port, defaultPort);
  const bind = o.bind ?? DEFAULT_BIND;
  const token = o.token ?? (process.env.ISOSWARM_DASHBOARD_TOKEN || undefined);
  try {
    checkBind(bind, token);
  } catch (e) {
    if (e instanceof DashboardAccessError) throw new CliError(e.message, EXIT.refused);
    throw e;
  }
  return { port, bind, token };
}

async function serve(globals: GlobalOptions, o: ServeOptions, page: boolean): Promise<void> {
  const ctx = (await context()).cliContext(globals);
  const { DEFAULT_DASHBOARD_PORT, startDashboard } = await import('../../dashboard/start.js');
  const s = await serveOptions(o, page ? DEFAULT_DASHBOARD_PORT : DEFAULT_DASHBOARD_PORT + 1);
  const { resolveBusTarget } = await import('../../runtime/bus-target.js');
  const { connectBus, closeBus } = await import('../../bus/connect.js');
  const target = resolveBusTarget(ctx.config, ctx.paths);
  if (!target) throw new CliError('the swarm is not running: start it with `isoswarm up`', EXIT.unavailable);
  let nc;
  try {
    // Reconnects forever: the page says "connection lost" and recovers when the bus is back.
    nc = await connectBus({
      url: target.url,
      auth: target.auth,
      name: `isoswarm-${page ? 'dashboard' : 'metrics'}:${process.pid}`,
      reconnect: true,
      timeoutMs: 3000,
    });
  } catch (e) {
    throw new CliError(`cannot reach the swarm at ${target.url}: ${(e as Error).message}`, EXIT.unavailable);
  }
  let d;
  try {
    d = await startDashboard({
      nc,
      prefix: ctx.config.nats.subjectPrefix,
      runsDir: ctx.paths.runs,
      stateRoot: ctx.paths.root,
      expected: ['coordinator', ...ctx.config.agents],
      requestTimeoutMs: ctx.config.nats.requestTimeoutMs,
      page,
      ...s,
    });
  } catch (e) {
    await closeBus(nc);
    throw new CliError(`cannot serve on ${s.bind}:${s.port}: ${(e as Error).message}`, EXIT.failed);
  }
  const metricsUrl = `${d.url}metrics`;
  if (o.json)
    printJson({
      url: page ? d.url : metricsUrl,
      metrics: metricsUrl,
      port: d.port,
      bind: s.bind,
      token: !!s.token,
      pid: process.pid,
    });
  else {
    if (page) printLine(`dashboard: ${d.url}${s.token ? ' (token required: open it once with ?token=TOKEN)' : ''}`);
    printLine(`metrics:   ${metricsUrl}`);
    printLine('Ctrl-C stops it');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await d.stop();
  await closeBus(nc);
}

export function registerDashboard(program: Command, globals: () => GlobalOptions): void {
  const common = (c: Command, what: string, port: number) =>
    c
      .option('--port <port>', `TCP port (default ${port}; 0 picks a free one)`)
      .option('--bind <addr>', `address to listen on (default 127.0.0.1; any other needs a token)`)
      .option(
        '--token <token>',
        `required from every client (Bearer header, or ?token= once); also ISOSWARM_DASHBOARD_TOKEN`,
      )
      .option('--json', `print where ${what} listens as JSON`);
  common(
    program
      .command('dashboard')
      .description(
        'serve the live dashboard (agents, runs, charts, events, patterns, past runs) and /metrics until Ctrl-C',
      ),
    'it',
    9317,
  ).action((o: ServeOptions) => serve(globals(), o, true));
  common(
    program
      .command('metrics')
      .description('serve only /metrics (Prometheus text format) for the running swarm until Ctrl-C'),
    'it',
    9318,
  ).action((o: ServeOptions) => serve(globals(), o, false));
}
