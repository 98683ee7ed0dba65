// The one owner of the NATS client: connections, with reconnect forever and a bounded first attempt.
import { connect, type NatsConnection, type ConnectionOptions } from 'nats';

export type { NatsConnection } from 'nats';

export interface ConnectOptions {
  url: string;
  name: string;
  /** Credentials for the embedded server or an external one. */
  auth?: { user?: string; pass?: string; token?: string };
  /** Give up the first connection after this long (a hook must never hang). */
  timeoutMs?: number;
  /** Keep reconnecting after a loss (agents, coordinator); a CLI call does not. */
  reconnect?: boolean;
}

export async function connectBus(opts: ConnectOptions): Promise<NatsConnection> {
  const co: ConnectionOptions = {
    servers: opts.url.split(',').map((s) => s.trim()),
    name: opts.name,
    timeout: opts.timeoutMs ?? 2000,
    reconnect: opts.reconnect ?? false,
    maxReconnectAttempts: opts.reconnect ? -1 : 0,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: false,
  };
  if (opts.auth?.user) {
    co.user = opts.auth.user;
    co.pass = opts.auth.pass;
  }
  if (opts.auth?.token) co.token = opts.auth.token;
  return connect(co);
}

export async function closeBus(nc: NatsConnection | undefined): Promise<void> {
  if (!nc || nc.isClosed()) return;
  try {
    await nc.drain();
  } catch {
    await nc.close().catch(() => undefined);
  }
}
