// What the coordinator and every agent share as OS processes: configuration and host name, the bus
// connection from the environment their starter set, stopping once on SIGTERM/SIGINT or when the
// service ends, and a fatal start error reported on stderr with exit code 1.
import { hostname } from 'node:os';
import { connectBus, type NatsConnection } from '../bus/connect.js';
import { setBusHost } from '../bus/subjects.js';
import { loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Config } from '../schemas/config.js';
import { authFromProcessEnv } from './bus-target.js';

export interface ServiceProcess {
  config: Config;
  log: Logger;
  nc: NatsConnection;
  prefix: string;
  url: string;
}

/** Connects as `name`; `startedBy` names who sets ISOSWARM_NATS_URL, for the error when it is missing. */
export async function startServiceProcess(name: string, startedBy: string): Promise<ServiceProcess> {
  const log = createLogger({ name });
  const config = loadConfig();
  setBusHost(config.host);
  const url = process.env.ISOSWARM_NATS_URL;
  if (!url) throw new Error(`ISOSWARM_NATS_URL is not set: ${startedBy}`);
  const nc = await connectBus({
    url,
    auth: authFromProcessEnv(),
    name: `${name}@${hostname()}:${process.pid}`,
    reconnect: true,
    timeoutMs: 5000,
  });
  return { config, log, nc, prefix: config.nats.subjectPrefix, url };
}

/**
 * Runs `stop` exactly once: on SIGTERM, on SIGINT, or when the service has stopped by itself.
 * `stop` owns the order of its own teardown, closing the bus last.
 */
export async function serveUntilStopped(
  service: { stopped: Promise<unknown> },
  stop: (why: string) => Promise<void>,
): Promise<void> {
  let once: Promise<void> | null = null;
  const stopOnce = (why: string): Promise<void> => (once ??= stop(why));
  process.once('SIGTERM', () => void stopOnce('SIGTERM'));
  process.once('SIGINT', () => void stopOnce('SIGINT'));
  await service.stopped;
  await stopOnce('service stopped');
}

/** Entry point of a service process: a fatal start error goes to stderr and exits 1. */
export function serviceMain(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${name}: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
