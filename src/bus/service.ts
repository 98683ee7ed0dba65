// Registers one NATS micro service per process; each endpoint validates its input with zod and
// replies with an envelope. Errors are replies with the micro-protocol error headers, never timeouts.
import { hostname } from 'node:os';
import type { NatsConnection, Service, ServiceMsg } from 'nats';
import type { ZodType } from 'zod';
import { BUS_ERRORS, BusError, isBusErrorCode, type Envelope } from '../schemas/bus-error.js';
import { decodeJson, encodeJson } from './codec.js';
import { busHost, endpointSubject, type ServiceName } from './subjects.js';

export interface EndpointContext {
  subject: string;
  headers?: Record<string, string>;
}

export interface EndpointDef<I = unknown, O = unknown> {
  input: ZodType<I>;
  handler: (input: I, ctx: EndpointContext) => Promise<O> | O;
  description?: string;
}

// Endpoint handlers are typed at their definition; the registry erases the input type.
export type EndpointMap = Record<string, EndpointDef<any, unknown>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ServiceOptions {
  name: ServiceName;
  version: string;
  prefix: string;
  description: string;
  endpoints: EndpointMap;
  metadata?: Record<string, string>;
}

interface Counters {
  requests: number;
  errors: number;
  lastError?: string;
}

/** Defines an endpoint with its input type inferred from the schema. */
export function endpoint<I, O>(def: EndpointDef<I, O>): EndpointDef<I, O> {
  return def;
}

function codeOf(e: unknown): { code: string; message: string; details?: unknown } {
  if (e instanceof BusError) return { code: e.code, message: e.message, details: e.details };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

export async function startService(nc: NatsConnection, opts: ServiceOptions): Promise<Service> {
  const counters = new Map<string, Counters>();
  const srv = await nc.services.add({
    name: opts.name,
    version: opts.version,
    description: opts.description,
    // `host` is the farm's name for this host (the subject token); `machine` the kernel's hostname.
    metadata: {
      host: busHost(),
      machine: hostname(),
      pid: String(process.pid),
      prefix: opts.prefix,
      ...(opts.metadata ?? {}),
    },
    queue: opts.name,
    // The library counts errors only for handlers that throw synchronously; ours are async,
    // so each endpoint's own counts travel in the stats `data` field.
    statsHandler: async (ep) => counters.get(ep.subject) ?? { requests: 0, errors: 0 },
  });
  for (const [name, def] of Object.entries(opts.endpoints)) {
    const subject = endpointSubject(opts.prefix, opts.name, name);
    const c: Counters = { requests: 0, errors: 0 };
    counters.set(subject, c);
    const reply = (msg: ServiceMsg, env: Envelope<unknown>): void => {
      if (!msg.reply) return;
      if (env.ok) {
        msg.respond(encodeJson(env));
        return;
      }
      c.errors++;
      c.lastError = `${env.error.code}: ${env.error.message}`;
      msg.respondError(
        isBusErrorCode(env.error.code) ? BUS_ERRORS[env.error.code].status : 500,
        env.error.message.slice(0, 200),
        encodeJson(env),
      );
    };
    srv.addEndpoint(name, {
      subject,
      metadata: def.description ? { description: def.description } : undefined,
      handler: (_err, msg) => {
        c.requests++;
        let raw: unknown;
        try {
          raw = decodeJson(msg.data);
        } catch (e) {
          reply(msg, {
            ok: false,
            error: { code: 'bad-request', message: `payload is not JSON: ${(e as Error).message}` },
          });
          return;
        }
        const parsed = def.input.safeParse(raw);
        if (!parsed.success) {
          const msgText = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
          reply(msg, { ok: false, error: { code: 'bad-request', message: msgText } });
          return;
        }
        const hdrs: Record<string, string> = {};
        if (msg.headers) for (const [k, v] of msg.headers) hdrs[k] = v.join(',');
        Promise.resolve()
          .then(() => def.handler(parsed.data, { subject: msg.subject, headers: hdrs }))
          .then(
            (data) => reply(msg, { ok: true, data: data ?? null }),
            (e: unknown) => reply(msg, { ok: false, error: codeOf(e) }),
          );
      },
    });
  }
  return srv;
}
