// Errors that cross the bus as data. Kept free of zod: the hook client loads it on every call.
export interface WireError {
  code: string;
  message: string;
  details?: unknown;
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: WireError };

/** An error a handler raises on purpose; its code travels to the caller. */
export class BusError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BusError';
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
