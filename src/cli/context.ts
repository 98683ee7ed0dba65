// What every command needs: the config (with --config), the state paths, and a way to the swarm.
import type { NatsConnection } from '../bus/connect.js';
import type { ServiceName } from '../bus/subjects.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { isAlive } from '../host/process-identity.js';
import { ensureStateDir, type StatePaths } from '../host/state-dir.js';
import { resolveBusTarget, type BusTarget } from '../runtime/bus-target.js';
import type { Config } from '../schemas/config.js';
import { CliError, EXIT } from './exit-codes.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

export interface CliContext {
  config: Config;
  paths: StatePaths;
}

export function cliContext(opts: GlobalOptions): CliContext {
  try {
    const config = loadConfig({ file: opts.config });
    return { config, paths: ensureStateDir() };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/** The swarm when it looks up (a live coordinator or a configured URL), else null. Never hangs. */
export async function connectSwarm(ctx: CliContext, timeoutMs = 1500): Promise<{ nc: NatsConnection; target: BusTarget } | null> {
  const target = resolveBusTarget(ctx.config, ctx.paths);
  if (!target) return null;
  if (target.embedded && target.run?.coordinator && !isAlive(target.run.coordinator)) return null;
  // The NATS client loads only when there is a swarm to talk to.
  const { connectBus } = await import('../bus/connect.js');
  try {
    const nc = await connectBus({ url: target.url, auth: target.auth, name: `isoswarm-cli:${process.pid}`, timeoutMs });
    return { nc, target };
  } catch {
    return null;
  }
}

export async function withSwarm<T>(ctx: CliContext, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const s = await connectSwarm(ctx);
  if (!s) throw new CliError('the swarm is not running: start it with `isoswarm up`', EXIT.unavailable);
  try {
    return await fn(s.nc);
  } finally {
    const { closeBus } = await import('../bus/connect.js');
    await closeBus(s.nc);
  }
}

export async function callCoordinator<T>(ctx: CliContext, nc: NatsConnection, endpoint: string, payload: unknown, timeoutMs?: number): Promise<T> {
  const { requestEndpoint } = await import('../bus/request.js');
  return requestEndpoint<T>(nc, ctx.config.nats.subjectPrefix, 'coordinator' as ServiceName, endpoint, payload, timeoutMs ?? ctx.config.nats.requestTimeoutMs);
}
