// The life of one agent process: connect, register its micro service, serve until told to stop or
// until its coordinator is gone (agents never outlive the supervisor that started them).
import { hostname } from 'node:os';
import { closeBus, connectBus, type NatsConnection } from '../bus/connect.js';
import { endpoint, startService, type EndpointMap } from '../bus/service.js';
import { z } from 'zod';
import type { ServiceName } from '../bus/subjects.js';
import { loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Config } from '../schemas/config.js';
import { VERSION } from '../version.js';

export interface AgentContext {
  nc: NatsConnection;
  config: Config;
  prefix: string;
  log: Logger;
  stateDir: string;
}

export interface AgentSpec {
  name: ServiceName;
  description: string;
  endpoints: (ctx: AgentContext) => EndpointMap | Promise<EndpointMap>;
  /** Background work (the Monitor's sampling loop); returns a stop function. */
  background?: (ctx: AgentContext) => (() => Promise<void> | void) | undefined;
}

export async function runAgentProcess(spec: AgentSpec): Promise<void> {
  const log = createLogger({ name: spec.name });
  const config = loadConfig();
  const url = process.env.ISOSWARM_NATS_URL;
  if (!url) throw new Error('ISOSWARM_NATS_URL is not set: agents are started by the coordinator');
  const auth = process.env.ISOSWARM_NATS_USER
    ? { user: process.env.ISOSWARM_NATS_USER, pass: process.env.ISOSWARM_NATS_PASS ?? '' }
    : process.env.ISOSWARM_NATS_TOKEN
      ? { token: process.env.ISOSWARM_NATS_TOKEN }
      : undefined;
  const nc = await connectBus({ url, auth, name: `${spec.name}@${hostname()}:${process.pid}`, reconnect: true, timeoutMs: 5000 });
  const prefix = config.nats.subjectPrefix;
  const ctx: AgentContext = { nc, config, prefix, log, stateDir: process.env.ISOSWARM_HOME ?? '' };
  const srv = await startService(nc, {
    name: spec.name,
    version: VERSION,
    prefix,
    description: spec.description,
    endpoints: {
      // A cheap liveness answer beyond PING: the process's own view of itself.
      health: endpoint({ input: z.strictObject({}), handler: () => ({ name: spec.name, pid: process.pid, uptimeMs: Math.round(process.uptime() * 1000), rssBytes: process.memoryUsage.rss() }) }),
      ...(await spec.endpoints(ctx)),
    },
  });
  const stopBackground = spec.background?.(ctx);
  log.info({ url }, `${spec.name} serving`);

  const parent = process.ppid;
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${spec.name} stopping: ${why}`);
    clearInterval(watch);
    await stopBackground?.();
    await srv.stop().catch(() => undefined);
    await closeBus(nc);
    process.exitCode = 0;
  };
  // Orphaned agents would hold the bus and the host: follow the coordinator out.
  const watch = setInterval(() => {
    if (process.ppid !== parent) void stop('coordinator is gone');
  }, 500);
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  await srv.stopped;
  await stop('service stopped');
}

/** Entry helper for agents/<name>/main.ts: exits non-zero with a message on a fatal start error. */
export function agentMain(spec: AgentSpec): void {
  runAgentProcess(spec).catch((e: unknown) => {
    process.stderr.write(`${spec.name}: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
