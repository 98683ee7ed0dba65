// The hook path's way to the coordinator: the minimal NATS client when the server allows it (plain
// TCP, user/password or token), the full client otherwise. Null when the swarm is down.
import { quickConnect, QuickBusError } from '../bus/quick-request.js';
import { decodeJson, encodeJson } from '../bus/codec.js';
import { endpointSubject, setBusHost } from '../bus/subjects.js';
import { isAlive } from '../host/proc/process-identity.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { asEnvelope, BusError, isBusErrorCode } from '../schemas/bus-error.js';
import type { Config } from '../schemas/config.js';
import { resolveBusTarget } from './bus-target.js';

export interface SwarmLink {
  /** Calls a coordinator endpoint; data, or a BusError with the remote code. */
  call<T>(endpoint: string, payload: unknown, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

function unwrap<T>(raw: unknown, subject: string): T {
  const env = asEnvelope(raw);
  if (!env) throw new BusError('bad-reply', `reply on ${subject} is not an isoswarm envelope`);
  if (!env.ok) {
    const { code, message, details } = env.error;
    throw new BusError(
      isBusErrorCode(code) ? code : 'internal',
      isBusErrorCode(code) ? message : `${code}: ${message}`,
      details,
    );
  }
  return env.data as T;
}

export async function linkSwarm(
  ctx: { config: Config; paths: StatePaths },
  timeoutMs: number,
): Promise<SwarmLink | null> {
  const { config } = ctx;
  setBusHost(config.host);
  const target = resolveBusTarget(config, ctx.paths);
  if (!target) return null;
  if (target.embedded && target.run?.coordinator && !isAlive(target.run.coordinator)) return null;
  const prefix = config.nats.subjectPrefix;
  let quick;
  try {
    quick = await quickConnect(target.url, target.auth, timeoutMs);
  } catch (e) {
    if (e instanceof QuickBusError && e.code === 'auth')
      throw new BusError('auth', `cannot authenticate to the swarm at ${target.url}: ${e.message}`);
    return null;
  }
  if (quick) {
    const q = quick;
    return {
      async call<T>(endpoint: string, payload: unknown, ms = config.nats.requestTimeoutMs): Promise<T> {
        const subject = endpointSubject(prefix, 'coordinator', endpoint);
        try {
          return unwrap<T>(decodeJson(await q.request(subject, encodeJson(payload), ms)), subject);
        } catch (e) {
          if (e instanceof QuickBusError)
            throw new BusError(e.code === 'timeout' ? 'timeout' : 'unavailable', e.message);
          throw e;
        }
      },
      close: async () => q.close(),
    };
  }
  const { connectSwarm } = await import('./swarm-connect.js');
  const s = await connectSwarm(ctx, timeoutMs);
  if (!s) return null;
  const { requestEndpoint } = await import('../bus/request.js');
  const { closeBus } = await import('../bus/connect.js');
  return {
    call: <T>(endpoint: string, payload: unknown, ms = config.nats.requestTimeoutMs) =>
      requestEndpoint<T>(s.nc, prefix, 'coordinator', endpoint, payload, ms),
    close: () => closeBus(s.nc),
  };
}
