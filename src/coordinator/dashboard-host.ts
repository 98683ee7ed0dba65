// What the coordinator adds for dashboards: each agent exit announced on core NATS (a page marks
// the agent down at once), and, when `up --dashboard` / `up --metrics-port` asked, the dashboard
// server itself, in this process: it lives and dies with the swarm and `down` needs nothing new.
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { encodeJson } from '../bus/codec.js';
import { agentExitSubject } from '../bus/subjects.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { Logger } from '../log/logger.js';
import type { Config } from '../schemas/config.js';
import type { Supervisor } from './supervisor.js';
import { startDashboard } from '../dashboard/start.js';

export interface HostedServer {
  port: number;
  bind: string;
  page: boolean;
}

export const DASHBOARD_ENV = 'ISOSWARM_DASHBOARD';
export const DASHBOARD_TOKEN_ENV = 'ISOSWARM_DASHBOARD_TOKEN';

/** Where the coordinator says which servers it started (or why one could not start), for `up`. */
export function dashboardFile(paths: StatePaths): string {
  return join(paths.root, 'dashboard.json');
}

/**
 * Reads and removes the request from the environment before the agents are started: the token
 * must not reach agent processes (which may run as other users).
 */
export function takeDashboardRequest(env: NodeJS.ProcessEnv): { servers: HostedServer[]; token?: string } {
  const raw = env[DASHBOARD_ENV];
  const token = env[DASHBOARD_TOKEN_ENV] || undefined;
  delete env[DASHBOARD_ENV];
  delete env[DASHBOARD_TOKEN_ENV];
  if (!raw) return { servers: [] };
  const v = JSON.parse(raw) as HostedServer[];
  return { servers: Array.isArray(v) ? v : [], token };
}

export function announceAgentExits(
  nc: NatsConnection,
  prefix: string,
  supervisor: Supervisor,
  names: readonly string[],
): void {
  for (const name of names) {
    supervisor.onExit(name, (e) => {
      if (!nc.isClosed()) nc.publish(agentExitSubject(prefix), encodeJson({ ...e, at: Date.now() }));
    });
  }
}

export async function hostDashboards(
  nc: NatsConnection,
  config: Config,
  paths: StatePaths,
  log: Logger,
  req: { servers: HostedServer[]; token?: string },
): Promise<() => Promise<void>> {
  const file = dashboardFile(paths);
  rmSync(file, { force: true });
  if (!req.servers.length) return async () => undefined;
  const started: { stop(): Promise<void> }[] = [];
  const report: { url?: string; page: boolean; error?: string }[] = [];
  for (const s of req.servers) {
    try {
      const d = await startDashboard({
        nc,
        prefix: config.nats.subjectPrefix,
        runsDir: paths.runs,
        stateRoot: paths.root,
        expected: ['coordinator', ...config.agents],
        requestTimeoutMs: config.nats.requestTimeoutMs,
        port: s.port,
        bind: s.bind,
        token: req.token,
        page: s.page,
      });
      started.push(d);
      report.push({ url: d.url, page: s.page });
      log.info({ url: d.url, page: s.page }, s.page ? 'dashboard listening' : 'metrics listening');
    } catch (e) {
      report.push({ page: s.page, error: `${s.bind}:${s.port}: ${(e as Error).message}` });
      log.error({ err: (e as Error).message, bind: s.bind, port: s.port }, 'the dashboard could not start');
    }
  }
  writeFileSync(file, JSON.stringify({ pid: process.pid, servers: report }), { mode: 0o600 });
  return async () => {
    rmSync(file, { force: true });
    await Promise.all(started.map((d) => d.stop().catch(() => undefined)));
  };
}
