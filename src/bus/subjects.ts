// Subject names: `<prefix>.<host>.…`. The host token is the one place a farm's hosts are told apart:
// every endpoint, event, metric and progress subject built here carries it, so an endpoint added
// anywhere is routed per host without knowing it. The host is this process's (config `host`,
// ISOSWARM_HOST, `--host`, else the hostname); a CLI talks to the host it was given.
import { hostname } from 'node:os';

export const SERVICE_NAMES = ['coordinator', 'cleaner', 'unmounter', 'performance-tuner', 'monitor'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const HOST_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** A machine name as one subject token: dots and other separators become `_` (build-01.lab → build-01_lab). */
export function hostToken(name: string): string {
  const t = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return t || 'localhost';
}

let current: string | null = null;

/** Sets this process's host (a validated token); later subjects carry it. */
export function setBusHost(host: string | null | undefined): void {
  if (host) current = hostToken(host);
}

export function busHost(): string {
  return current ?? hostToken(process.env.ISOSWARM_HOST || hostname());
}

export function endpointSubject(prefix: string, service: ServiceName, endpoint: string, host = busHost()): string {
  return `${prefix}.${host}.${service}.${endpoint}`;
}

/** Durable events live under `<prefix>.<host>.events.>`, all hosts in one JetStream stream. */
export function eventSubject(prefix: string, ...tokens: string[]): string {
  return [prefix, busHost(), 'events', ...tokens].join('.');
}

/** What the event stream holds: every host's events. */
export function eventStreamSubject(prefix: string): string {
  return `${prefix}.*.events.>`;
}

/** An event subject's tokens from `events` on (`events.<kind>.…`), the host left out. */
export function eventTail(prefix: string, subject: string): string[] {
  const t = subject.slice(prefix.length + 1).split('.');
  return t[1] === 'events' ? t.slice(1) : t;
}

/** Metrics are frequent and disposable: plain core NATS, outside the stream. */
export function metricsSubject(prefix: string): string {
  return `${prefix}.${busHost()}.metrics`;
}

export function streamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_EVENTS`;
}

/** A durable consumer's name on the shared stream: one per host, so hosts never take each other's events. */
export function durableName(name: string): string {
  return `${name}-${busHost()}`;
}

/** Progress of one long request (a big delete): disposable, for whoever asked to watch. */
export function progressSubject(prefix: string, token: string): string {
  return `${prefix}.${busHost()}.progress.${token}`;
}

/** A run's phases as they change: disposable, for dashboards. */
export function runProgressSubject(prefix: string): string {
  return `${prefix}.${busHost()}.runs.progress`;
}

/** An agent process exited (the supervisor restarts it): disposable, for dashboards. */
export function agentExitSubject(prefix: string): string {
  return `${prefix}.${busHost()}.agents.exit`;
}
