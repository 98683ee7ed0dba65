// Where each agent endpoint the coordinator relays lives, and the one time a caller waits for it.
// The coordinator's relay waits `timeoutMs` for the agent; a caller of the relay waits a little
// longer, so that the relay's own error (timeout, agent died) reaches it rather than a bare timeout.
import type { ServiceName } from '../../bus/subjects.js';

export interface AgentRoute {
  service: ServiceName;
  endpoint: string;
  timeoutMs: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

export const AGENT_ROUTES = {
  'unmount-plan': { service: 'unmounter', endpoint: 'plan', timeoutMs: MIN },
  teardown: { service: 'unmounter', endpoint: 'teardown', timeoutMs: 30 * MIN },
  'clean-plan': { service: 'cleaner', endpoint: 'plan', timeoutMs: 10 * MIN },
  clean: { service: 'cleaner', endpoint: 'clean', timeoutMs: 6 * HOUR },
  tune: { service: 'performance-tuner', endpoint: 'tune', timeoutMs: HOUR },
  system: { service: 'performance-tuner', endpoint: 'system', timeoutMs: MIN },
  'cache-attach': { service: 'performance-tuner', endpoint: 'cache-attach', timeoutMs: MIN },
  bootstrap: { service: 'performance-tuner', endpoint: 'bootstrap', timeoutMs: 2 * HOUR },
  'cache-detach': { service: 'performance-tuner', endpoint: 'cache-detach', timeoutMs: 10 * MIN },
  'cache-suspend': { service: 'performance-tuner', endpoint: 'cache-suspend', timeoutMs: MIN },
  'cache-resume': { service: 'performance-tuner', endpoint: 'cache-resume', timeoutMs: MIN },
  'squashfs-advise': { service: 'performance-tuner', endpoint: 'squashfs-advise', timeoutMs: HOUR },
  'squashfs-report': { service: 'performance-tuner', endpoint: 'squashfs-report', timeoutMs: MIN },
  'squashfs-calls': { service: 'performance-tuner', endpoint: 'squashfs-calls', timeoutMs: 30_000 },
  'root-advise': { service: 'performance-tuner', endpoint: 'root-advise', timeoutMs: HOUR },
  'root-store': { service: 'performance-tuner', endpoint: 'root-store', timeoutMs: HOUR },
  'root-calls': { service: 'performance-tuner', endpoint: 'root-calls', timeoutMs: 30_000 },
  'cache-ls': { service: 'performance-tuner', endpoint: 'cache-ls', timeoutMs: MIN },
  'cache-why': { service: 'performance-tuner', endpoint: 'cache-why', timeoutMs: MIN },
  'cache-prune': { service: 'performance-tuner', endpoint: 'cache-prune', timeoutMs: 30 * MIN },
  'monitor-snapshot': { service: 'monitor', endpoint: 'snapshot', timeoutMs: 10_000 },
  'monitor-watch': { service: 'monitor', endpoint: 'watch', timeoutMs: 10_000 },
  'monitor-samples': { service: 'monitor', endpoint: 'samples', timeoutMs: 30_000 },
} as const satisfies Record<string, AgentRoute>;

export type AgentRouteName = keyof typeof AGENT_ROUTES;

const RELAY_MARGIN_MS = 5_000;

/** How long a caller of the coordinator's relay endpoint `name` waits. */
export function relayTimeoutMs(name: AgentRouteName): number {
  return AGENT_ROUTES[name].timeoutMs + RELAY_MARGIN_MS;
}

/** How long a caller of the coordinator's endpoint waits: a relay's route, else the default. */
export function coordinatorTimeoutMs(endpoint: string, defaultMs: number): number {
  return Object.hasOwn(AGENT_ROUTES, endpoint) ? relayTimeoutMs(endpoint as AgentRouteName) : defaultMs;
}
