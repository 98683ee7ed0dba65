// Finding and connecting to the running swarm, bounded in time. Free of zod: hooks use it.
import type { NatsConnection } from '../bus/connect.js';
import { isAlive } from '../host/proc/process-identity.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { BusError } from '../schemas/bus-error.js';
import type { Config } from '../schemas/config.js';
import { resolveBusTarget, type BusTarget } from './bus-target.js';

/**
 * The swarm when it looks up (a live coordinator or a configured URL), else null. Never hangs.
 * Throws BusError('auth') when the swarm is there but refuses the credentials.
 */
export async function connectSwarm(
  ctx: { config: Config; paths: StatePaths },
  timeoutMs = 1500,
): Promise<{ nc: NatsConnection; target: BusTarget } | null> {
  const target = resolveBusTarget(ctx.config, ctx.paths);
  if (!target) return null;
  if (target.embedded && target.run?.coordinator && !isAlive(target.run.coordinator)) return null;
  // The NATS client loads only when there is a swarm to talk to.
  const { connectBus } = await import('../bus/connect.js');
  try {
    const nc = await connectBus({ url: target.url, auth: target.auth, name: `isoswarm-cli:${process.pid}`, timeoutMs });
    return { nc, target };
  } catch (e) {
    // A swarm that is not there is "down"; one that refuses our credentials (or whose key file is
    // unreadable) is a configuration error the person must see, not a silent fallback.
    const code = (e as { code?: string }).code ?? '';
    const msg = (e as Error).message ?? String(e);
    if (/AUTH|PERMISSION/.test(code) || /authoriz|authenticat|ENOENT|EACCES/i.test(msg)) {
      throw new BusError('auth', `cannot authenticate to the swarm at ${target.url}: ${msg}`);
    }
    return null;
  }
}
