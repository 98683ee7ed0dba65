// Destructive and long-running work reaches the agents through the coordinator, the only client
// allowed to call their endpoints. Each agent re-checks the path policy itself.
import { z } from 'zod';
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint } from '../bus/request.js';
import { endpoint, type EndpointMap } from '../bus/service.js';
import type { ServiceName } from '../bus/subjects.js';
import type { Config } from '../schemas/config.js';

const ROUTES: Record<string, [ServiceName, string, number]> = {
  'unmount-plan': ['unmounter', 'plan', 60_000],
  teardown: ['unmounter', 'teardown', 30 * 60_000],
  'clean-plan': ['cleaner', 'plan', 10 * 60_000],
  clean: ['cleaner', 'clean', 6 * 60 * 60_000],
  tune: ['performance-tuner', 'tune', 60 * 60_000],
  system: ['performance-tuner', 'system', 60_000],
  'monitor-snapshot': ['monitor', 'snapshot', 10_000],
  'monitor-watch': ['monitor', 'watch', 10_000],
  'monitor-samples': ['monitor', 'samples', 30_000],
};

export function agentEndpoints(nc: NatsConnection, config: Config): EndpointMap {
  const out: EndpointMap = {};
  for (const [name, [service, ep, timeoutMs]] of Object.entries(ROUTES)) {
    out[name] = endpoint({
      input: z.unknown(),
      // The agent validates the payload; the coordinator only relays it and its reply.
      handler: (payload) => requestEndpoint(nc, config.nats.subjectPrefix, service, ep, payload, timeoutMs),
    });
  }
  return out;
}
