// What every command needs: the config (with --config), the state paths, and a way to the swarm.
import type { NatsConnection } from '../bus/connect.js';
import type { ServiceName } from '../bus/subjects.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { ensureStateDir, type StatePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
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

/** A coordinator endpoint, waited for as long as its route says (src/schemas/agents/routes.ts). */
export async function callCoordinator<T>(ctx: CliContext, nc: NatsConnection, endpoint: string, payload: unknown): Promise<T> {
  const { requestEndpoint } = await import('../bus/request.js');
  const timeoutMs = coordinatorTimeoutMs(endpoint, ctx.config.nats.requestTimeoutMs);
  return requestEndpoint<T>(nc, ctx.config.nats.subjectPrefix, 'coordinator' as ServiceName, endpoint, payload, timeoutMs);
}
