// Starts the dashboard (or the metrics-only server) on a NATS connection the caller owns: the
// `isoswarm dashboard` / `isoswarm metrics` commands, or the coordinator when `up --dashboard` asked.
import { hostname } from 'node:os';
import type { NatsConnection } from 'nats';
import { SwarmMetrics } from '../metrics/registry.js';
import { VERSION } from '../version.js';
import { checkBind } from './access.js';
import { Feeds } from './feeds.js';
import { startHttp, type DashboardServer } from './http-server.js';
import { DashboardModel } from './model.js';

export interface DashboardOptions {
  nc: NatsConnection;
  prefix: string;
  runsDir: string;
  stateRoot: string;
  expected: readonly string[];
  requestTimeoutMs: number;
  port: number;
  bind: string;
  token?: string;
  page: boolean;
}

export interface RunningDashboard extends DashboardServer {
  stop(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 9317;
export const DEFAULT_BIND = '127.0.0.1';

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  checkBind(o.bind, o.token);
  const model = new DashboardModel(hostname(), VERSION);
  const metrics = new SwarmMetrics();
  const feeds = new Feeds({
    nc: o.nc,
    prefix: o.prefix,
    runsDir: o.runsDir,
    stateRoot: o.stateRoot,
    model,
    metrics,
    expected: o.expected,
    requestTimeoutMs: o.requestTimeoutMs,
  });
  feeds.start();
  let server: DashboardServer;
  try {
    server = await startHttp({
      port: o.port,
      bind: o.bind,
      token: o.token,
      page: o.page,
      model,
      metrics,
      feeds,
      runsDir: o.runsDir,
    });
  } catch (e) {
    await feeds.stop();
    throw e;
  }
  return {
    ...server,
    async stop() {
      await server.close();
      await feeds.stop();
    },
  };
}
