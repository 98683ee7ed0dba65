// Destructive and long-running work reaches the agents through the coordinator, the only client
// allowed to call their endpoints. Each agent re-checks the path policy itself. An agent that dies
// while it handles a relayed request fails that request at once (it would otherwise wait for the
// route's long timeout); the request can then be retried, and a teardown resumes from its journal.
import { z } from 'zod';
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint } from '../bus/request.js';
import { endpoint, type EndpointMap } from '../bus/service.js';
import type { ServiceName } from '../bus/subjects.js';
import { AGENT_ROUTES, type AgentRoute } from '../schemas/agents/routes.js';
import type { Config } from '../schemas/config.js';
import { BusError } from '../schemas/bus-error.js';
import type { Supervisor } from './supervisor.js';

type ExitWatch = Pick<Supervisor, 'onExit'>;

async function relay(
  nc: NatsConnection,
  prefix: string,
  service: ServiceName,
  ep: string,
  payload: unknown,
  timeoutMs: number,
  agents?: ExitWatch,
): Promise<unknown> {
  if (!agents) return requestEndpoint(nc, prefix, service, ep, payload, timeoutMs);
  let off = (): void => undefined;
  const died = new Promise<never>((_, reject) => {
    off = agents.onExit(service, (e) => {
      const how = e.signal ?? (e.code === null ? 'an unknown cause' : `exit code ${e.code}`);
      reject(
        new BusError(
          'agent-died',
          `${service} (pid ${e.pid}) died (${how}) while handling ${ep}; it is being restarted and the request can be retried`,
          { pid: e.pid, signal: e.signal, code: e.code },
        ),
      );
    });
  });
  try {
    return await Promise.race([requestEndpoint(nc, prefix, service, ep, payload, timeoutMs), died]);
  } finally {
    off();
  }
}

export function agentEndpoints(nc: NatsConnection, config: Config, agents?: ExitWatch): EndpointMap {
  const out: EndpointMap = {};
  for (const [name, { service, endpoint: ep, timeoutMs }] of Object.entries(AGENT_ROUTES) as [string, AgentRoute][]) {
    out[name] = endpoint({
      input: z.unknown(),
      // The agent validates the payload; the coordinator only relays it and its reply.
      handler: (payload) => relay(nc, config.nats.subjectPrefix, service, ep, payload, timeoutMs, agents),
    });
  }
  return out;
}
