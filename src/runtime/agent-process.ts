// The life of one agent process: connect, register its micro service, serve until told to stop, or
// until its coordinator is gone and no new one adopted it within the grace period (see guardian.ts).
import { closeBus, type NatsConnection } from '../bus/connect.js';
import { endpoint, startService, type EndpointMap } from '../bus/service.js';
import { adoptEndpointName, adoptInput, healthInput } from '../schemas/agents/agent-common.js';
import type { ServiceName } from '../bus/subjects.js';
import type { Logger } from '../log/logger.js';
import type { Config } from '../schemas/config.js';
import { VERSION } from '../version.js';
import { graceFromEnv, watchGuardian } from './guardian.js';
import { serveUntilStopped, serviceMain, startServiceProcess } from './service-process.js';

export { adoptEndpointName, adoptInput } from '../schemas/agents/agent-common.js';

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
  const { config, log, nc, prefix, url } = await startServiceProcess(
    spec.name,
    'agents are started by the coordinator',
  );
  const ctx: AgentContext = { nc, config, prefix, log, stateDir: process.env.ISOSWARM_HOME ?? '' };
  // Until the real stop exists (the service is registering), a stop request is remembered.
  let early: string | null = null;
  let stop: (why: string) => Promise<void> = async (why) => void (early ??= why);
  const guardian = watchGuardian({
    graceMs: graceFromEnv(),
    onOrphaned: () =>
      log.warn(
        { graceMs: graceFromEnv() },
        `${spec.name}: coordinator is gone; serving until a new one adopts this agent`,
      ),
    onAdopted: (by) => log.info({ coordinator: by.pid }, `${spec.name} adopted`),
    onAbandoned: () => void stop('coordinator is gone and no new one adopted this agent'),
  });
  const srv = await startService(nc, {
    name: spec.name,
    version: VERSION,
    prefix,
    description: spec.description,
    // A coordinator adopts only agents of its own state dir (several swarms may share one server).
    metadata: { home: ctx.stateDir },
    endpoints: {
      // A cheap liveness answer beyond PING: the process's own view of itself.
      health: endpoint({
        input: healthInput,
        handler: () => ({
          name: spec.name,
          pid: process.pid,
          uptimeMs: Math.round(process.uptime() * 1000),
          rssBytes: process.memoryUsage.rss(),
        }),
      }),
      [adoptEndpointName(process.pid)]: endpoint({
        input: adoptInput,
        description: 'a coordinator on this host takes over the supervision of this agent',
        handler: ({ coordinator, host }) => ({
          name: spec.name,
          pid: process.pid,
          ...guardian.adopt(coordinator, host),
        }),
      }),
      ...(await spec.endpoints(ctx)),
    },
  });
  const stopBackground = spec.background?.(ctx);
  log.info({ url }, `${spec.name} serving`);

  let stopping = false;
  stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${spec.name} stopping: ${why}`);
    guardian.stop();
    await stopBackground?.();
    await srv.stop().catch(() => undefined);
    await closeBus(nc);
    process.exitCode = 0;
  };
  if (early) void stop(early);
  await serveUntilStopped(srv, (why) => stop(why));
}

/** Entry helper for agents/<name>/main.ts: exits non-zero with a message on a fatal start error. */
export function agentMain(spec: AgentSpec): void {
  serviceMain(spec.name, () => runAgentProcess(spec));
}
