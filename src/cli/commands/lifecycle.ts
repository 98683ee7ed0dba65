// isoswarm up | down
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

const context = () => import('../context.js');

interface ServeFlags {
  dashboard?: boolean;
  dashboardPort?: string;
  metricsPort?: string;
  bind?: string;
  token?: string;
}

/** What `up` asks the coordinator to serve, checked (ports, bind address and token) before anything starts. */
async function dashboardRequest(o: ServeFlags): Promise<{ env: NodeJS.ProcessEnv } | null> {
  if (!o.dashboard && o.metricsPort === undefined) {
    if (o.dashboardPort !== undefined || o.bind !== undefined || o.token !== undefined)
      throw new CliError('--dashboard-port, --bind and --token go with --dashboard or --metrics-port', EXIT.usage);
    return null;
  }
  const { serveOptions, parsePort } = await import('./dashboard.js');
  const { DASHBOARD_ENV, DASHBOARD_TOKEN_ENV } = await import('../../coordinator/dashboard-host.js');
  const s = await serveOptions({ port: o.dashboardPort, bind: o.bind, token: o.token }, 9317);
  const servers = [];
  if (o.dashboard) servers.push({ port: s.port, bind: s.bind, page: true });
  if (o.metricsPort !== undefined) servers.push({ port: parsePort(o.metricsPort, 9318), bind: s.bind, page: false });
  return { env: { [DASHBOARD_ENV]: JSON.stringify(servers), ...(s.token ? { [DASHBOARD_TOKEN_ENV]: s.token } : {}) } };
}

/** The servers the coordinator reports it started (it writes dashboard.json once they listen). */
async function hostedServers(
  paths: import('../../host/system/state-dir.js').StatePaths,
  coordinatorPid: number | null,
): Promise<{ url?: string; page: boolean; error?: string }[]> {
  if (coordinatorPid === null) return [];
  const { dashboardFile } = await import('../../coordinator/dashboard-host.js');
  const { readFileSync } = await import('node:fs');
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    try {
      const f = JSON.parse(readFileSync(dashboardFile(paths), 'utf8')) as {
        pid: number;
        servers: { url?: string; page: boolean; error?: string }[];
      };
      if (f.pid === coordinatorPid) return f.servers; // not a file an earlier coordinator left
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

export function registerLifecycle(program: Command, globals: () => GlobalOptions): void {
  program
    .command('up')
    .description(
      'start the swarm: a private nats-server (unless NATS_URL is set), the coordinator and the four agents; returns when all five answer PING',
    )
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--dashboard', 'the coordinator also serves the live dashboard and /metrics (see `isoswarm dashboard`)')
    .option('--dashboard-port <port>', 'port of the dashboard (default 9317; 0 picks a free one)')
    .option('--metrics-port <port>', 'the coordinator serves /metrics alone on this port')
    .option('--bind <addr>', 'address the dashboard and metrics listen on (default 127.0.0.1; any other needs a token)')
    .option('--token <token>', 'required from every dashboard/metrics client; also ISOSWARM_DASHBOARD_TOKEN')
    .option('--json', 'print the result as JSON')
    .action(async (o: { foreground?: boolean; json?: boolean } & ServeFlags) => {
      const ctx = (await context()).cliContext(globals());
      const { up, down } = await import('../../runtime/lifecycle.js');
      const { MissingNatsServerError } = await import('../../bus/nats-server.js');
      // Interrupted runs' leftovers as found at start (the coordinator then finishes runs whose runner was lost).
      const { findLeftovers, describeLeftover } = await import('../../run/leftovers.js');
      const leftovers = await findLeftovers(ctx.paths.root);
      if (!o.json)
        for (const l of leftovers)
          process.stderr.write(
            `warning: ${describeLeftover(l)}; \`isoswarm run --recover\` or \`isoswarm unmount ${l.chroot}\` tears them down\n`,
          );
      const served = await dashboardRequest(o);
      let r;
      try {
        r = await up(ctx.config, ctx.paths, {
          foreground: o.foreground,
          coordinatorEnv: served?.env,
          onProgress: (m) => !o.json && process.stderr.write(`… ${m}\n`),
        });
      } catch (e) {
        if (e instanceof MissingNatsServerError) throw new CliError(e.message, EXIT.unavailable);
        throw new CliError(`could not start the swarm: ${(e as Error).message}`, EXIT.failed);
      }
      const dashboards = served
        ? await hostedServers(ctx.paths, r.alreadyUp ? null : (r.run.coordinator?.pid ?? null))
        : [];
      const summary = {
        leftovers,
        alreadyUp: r.alreadyUp,
        url: r.run.url,
        embedded: r.run.embedded,
        services: r.services.map((s) => ({ name: s.name, id: s.id, pid: s.metadata?.pid })),
        logFile: r.run.logFile,
        dashboards,
      };
      if (o.json) printJson(summary);
      else {
        printLine(r.alreadyUp ? `swarm already up on ${r.run.url}` : `swarm up on ${r.run.url}`);
        for (const s of summary.services) printLine(`  ${s.name.padEnd(18)} pid ${s.pid}`);
        for (const d of dashboards)
          printLine(
            d.error
              ? `  ${d.page ? 'dashboard' : 'metrics'} NOT serving: ${d.error}`
              : `  ${d.page ? 'dashboard' : 'metrics  '}          ${d.page ? d.url : `${d.url}metrics`}`,
          );
        printLine(`logs: ${r.run.logFile}`);
      }
      if (served && (r.alreadyUp || dashboards.some((d) => d.error) || !dashboards.length)) {
        process.stderr.write(
          r.alreadyUp
            ? 'isoswarm: the swarm was already up: its coordinator serves what it was started with (run `isoswarm dashboard`, or `isoswarm down` first)\n'
            : `isoswarm: the swarm is up, but not every dashboard/metrics server started; see ${r.run.logFile}\n`,
        );
        process.exitCode = EXIT.failed;
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
      if (r.notExited.length)
        throw new CliError(
          `still running after SIGKILL: ${r.notExited.map((s) => `${s.what} (pid ${s.pid})`).join(', ')}`,
          EXIT.failed,
        );
    });
}
