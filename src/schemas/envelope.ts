// Every reply on the bus is an envelope: errors travel as data, never as a timeout.
import { z } from 'zod';

export const errorSchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });
export type WireError = z.infer<typeof errorSchema>;

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: WireError };

export const envelopeSchema = z.union([
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorSchema }),
]);

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
