// Discovery through the standard micro-service protocol: $SRV.PING, $SRV.INFO, $SRV.STATS.
import { RequestStrategy, type NatsConnection, type ServiceIdentity, type ServiceInfo, type ServiceStats } from 'nats';

export type { ServiceIdentity, ServiceInfo, ServiceStats } from 'nats';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const v of it) out.push(v);
  } catch {
    /* no responders: an empty answer */
  }
  return out;
}

function client(nc: NatsConnection, maxWaitMs: number) {
  return nc.services.client({ strategy: RequestStrategy.JitterTimer, maxWait: maxWaitMs, jitter: 150 } as never);
}

export async function pingAll(nc: NatsConnection, maxWaitMs = 1000): Promise<ServiceIdentity[]> {
  return collect(await client(nc, maxWaitMs).ping());
}

export async function infoAll(nc: NatsConnection, maxWaitMs = 1000): Promise<ServiceInfo[]> {
  return collect(await client(nc, maxWaitMs).info());
}

export async function statsAll(nc: NatsConnection, maxWaitMs = 1000): Promise<ServiceStats[]> {
  return collect(await client(nc, maxWaitMs).stats());
}
