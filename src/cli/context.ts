// What every command needs: the config (with --config), the state paths, and a way to the swarm.
import type { NatsConnection } from '../bus/connect.js';
import { setBusHost, type ServiceName } from '../bus/subjects.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { ensureStateDir, type StatePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
import type { RouteInput, RouteName, RouteReply } from '../schemas/agents/contracts.js';
import { coordinatorTimeoutMs } from '../schemas/agents/routes.js';
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
    // The host reaches this process's subjects and every process it starts (coordinator, agents).
    if (config.host) {
      process.env.ISOSWARM_HOST = config.host;
      setBusHost(config.host);
    }
    return { config, paths: ensureStateDir() };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

export { connectSwarm } from '../runtime/swarm-connect.js';

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

/**
 * A coordinator endpoint, waited for as long as its route says (src/schemas/agents/routes.ts). A reply
 * of an endpoint with a contract (src/schemas/agents/contracts.ts) is parsed: one that breaks it is an error.
 */
export async function callCoordinator<T>(
  ctx: CliContext,
  nc: NatsConnection,
  endpoint: string,
  payload: unknown,
): Promise<T> {
  const [{ requestEndpoint, requestRoute }, { ROUTES }] = await Promise.all([
    import('../bus/request.js'),
    import('../schemas/agents/contracts.js'),
  ]);
  const timeoutMs = coordinatorTimeoutMs(endpoint, ctx.config.nats.requestTimeoutMs);
  const prefix = ctx.config.nats.subjectPrefix;
  if (!Object.hasOwn(ROUTES, endpoint))
    return requestEndpoint<T>(nc, prefix, 'coordinator' as ServiceName, endpoint, payload, timeoutMs);
  const route = endpoint as RouteName;
  return (await requestRoute(nc, prefix, route, payload as never, timeoutMs, ROUTES[route].output)) as T;
}

/** A coordinator endpoint by route: payload and reply typed by its contract, the reply parsed. */
export function callRoute<R extends RouteName>(
  ctx: CliContext,
  nc: NatsConnection,
  route: R,
  payload: RouteInput<R>,
): Promise<RouteReply<R>> {
  return callCoordinator<RouteReply<R>>(ctx, nc, route, payload);
}
