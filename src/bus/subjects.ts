// Subject names: everything carries the configurable prefix (default "isoswarm").
export const SERVICE_NAMES = ['coordinator', 'cleaner', 'unmounter', 'performance-tuner', 'monitor'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function endpointSubject(prefix: string, service: ServiceName, endpoint: string): string {
  return `${prefix}.${service}.${endpoint}`;
}

/** Durable events live under `<prefix>.events.>` in one JetStream stream. */
export function eventSubject(prefix: string, ...tokens: string[]): string {
  return [prefix, 'events', ...tokens].join('.');
}

/** Metrics are frequent and disposable: plain core NATS, outside the stream. */
export function metricsSubject(prefix: string): string {
  return `${prefix}.metrics`;
}

export function streamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_EVENTS`;
}

/** Progress of one long request (a big delete): disposable, for whoever asked to watch. */
export function progressSubject(prefix: string, token: string): string {
  return `${prefix}.progress.${token}`;
}

/** A run's phases as they change: disposable, for dashboards. */
export function runProgressSubject(prefix: string): string {
  return `${prefix}.runs.progress`;
}

/** An agent process exited (the supervisor restarts it): disposable, for dashboards. */
export function agentExitSubject(prefix: string): string {
  return `${prefix}.agents.exit`;
}
