// Errors that cross the bus as data, and the one table of what each code means: the NATS micro
// status the service answers with, the CLI's exit code, and whether asking again can help.
// Kept free of zod: the hook client loads it on every call.
export const BUS_ERRORS = {
  'bad-request': { status: 400, exit: 'usage', retryable: false },
  /** A safety check said no (the path policy, root needed, another host's process): nothing changed. */
  refused: { status: 403, exit: 'refused', retryable: false },
  'not-found': { status: 404, exit: 'failed', retryable: false },
  /** Someone else holds the target's lock: nothing changed, try again once they are done. */
  locked: { status: 409, exit: 'refused', retryable: true },
  unavailable: { status: 503, exit: 'unavailable', retryable: true },
  timeout: { status: 500, exit: 'unavailable', retryable: true },
  auth: { status: 500, exit: 'unavailable', retryable: false },
  'agent-died': { status: 500, exit: 'failed', retryable: true },
  'bad-reply': { status: 500, exit: 'failed', retryable: false },
  'hook-failed': { status: 500, exit: 'failed', retryable: false },
  internal: { status: 500, exit: 'failed', retryable: false },
} as const satisfies Record<
  string,
  { status: number; exit: 'usage' | 'refused' | 'failed' | 'unavailable'; retryable: boolean }
>;

export type BusErrorCode = keyof typeof BUS_ERRORS;
export type ExitName = (typeof BUS_ERRORS)[BusErrorCode]['exit'];

export function isBusErrorCode(c: unknown): c is BusErrorCode {
  return typeof c === 'string' && Object.hasOwn(BUS_ERRORS, c);
}

export interface WireError {
  code: string;
  message: string;
  details?: unknown;
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: WireError };

/** An error a handler raises on purpose; its code travels to the caller. */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

export interface Refusal {
  code: string;
  reason: string;
}

/** The body of a destructive endpoint's refusal: why, and the reply a person would have seen (if any). */
export interface RefusalDetails<T> {
  refusal: Refusal;
  reply?: T;
}

/** Raises a destructive endpoint's refusal as an error reply carrying its refusal code and reason. */
export function refuse<T>(code: 'refused' | 'locked', refusal: Refusal, reply?: T): never {
  const details: RefusalDetails<T> = reply === undefined ? { refusal } : { refusal, reply };
  throw new BusError(code, `${refusal.reason} [${refusal.code}]`, details);
}

/** The reply a refusing destructive endpoint sent with its error, for callers that report it as data. */
export function refusedReply<T>(e: unknown): T | null {
  if (!(e instanceof BusError) || BUS_ERRORS[e.code].exit !== 'refused') return null;
  const d = e.details as Partial<RefusalDetails<T>> | undefined;
  return d && typeof d === 'object' && d.refusal && d.reply !== undefined && d.reply !== null ? d.reply : null;
}

/** A destructive endpoint's reply, or the one its refusal carried: for callers that report a refusal as data. */
export async function replyOrRefusal<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (e) {
    const r = refusedReply<T>(e);
    if (r !== null) return r;
    throw e;
  }
}

/** The shape check of a reply envelope (the sender built it from a zod-validated handler result). */
export function asEnvelope(v: unknown): Envelope<unknown> | null {
  if (!v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (e.ok === true && 'data' in e) return { ok: true, data: e.data };
  const err = e.error as Record<string, unknown> | undefined;
  if (e.ok === false && err && typeof err.code === 'string' && typeof err.message === 'string') {
    return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
  }
  return null;
}
