// Typed request/reply: the caller gets data or a BusError with the remote code, never a bare timeout.
import type { NatsConnection } from 'nats';
import { asEnvelope, BusError, isBusErrorCode } from '../schemas/bus-error.js';
import { decodeJson, encodeJson } from './codec.js';
import { endpointSubject, type ServiceName } from './subjects.js';
import type { RouteInput, RouteName, RouteReply } from '../schemas/agents/contracts.js';

export async function requestRaw(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  timeoutMs: number,
): Promise<unknown> {
  let m;
  try {
    m = await nc.request(subject, encodeJson(payload), { timeout: timeoutMs });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '503') throw new BusError('unavailable', `no service answers on ${subject}`);
    if (code === 'TIMEOUT' || (e as Error).message === 'TIMEOUT') {
      throw new BusError('timeout', `no reply on ${subject} within ${timeoutMs} ms`);
    }
    throw new BusError('unavailable', `request on ${subject} failed: ${(e as Error).message}`);
  }
  return decodeJson(m.data);
}

export async function requestEndpoint<T = unknown>(
  nc: NatsConnection,
  prefix: string,
  service: ServiceName,
  endpoint: string,
  payload: unknown,
  timeoutMs: number,
): Promise<T> {
  const subject = endpointSubject(prefix, service, endpoint);
  const raw = await requestRaw(nc, subject, payload, timeoutMs);
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

/** What `requestRoute` checks a reply with: a zod schema fits (kept structural so zod stays off the hook path). */
export interface ReplyCheck {
  safeParse(data: unknown): { success: true } | { success: false; error: { message: string } };
}

/**
 * A coordinator endpoint by route name: the payload and the reply are typed by the route's contract
 * (src/schemas/agents/contracts.ts). With `check` the reply is parsed and a reply that breaks the
 * contract is a 'bad-reply' error; the reply is returned as sent, so fields a newer service adds survive.
 */
export async function requestRoute<R extends RouteName>(
  nc: NatsConnection,
  prefix: string,
  route: R,
  payload: RouteInput<R>,
  timeoutMs: number,
  check?: ReplyCheck,
): Promise<RouteReply<R>> {
  const data = await requestEndpoint(nc, prefix, 'coordinator', route, payload, timeoutMs);
  if (check) {
    const r = check.safeParse(data);
    if (!r.success) throw new BusError('bad-reply', `reply of ${route} breaks its contract: ${r.error.message}`);
  }
  return data as RouteReply<R>;
}
