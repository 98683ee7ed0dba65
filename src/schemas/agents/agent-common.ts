// Endpoints every agent process registers beside its own: `health`, and `adopt-<pid>` (one subject
// per instance) through which a new coordinator takes over the supervision of a running agent.
import { z } from 'zod';

export const healthInput = z.strictObject({});
export const healthOutput = z.object({ name: z.string(), pid: z.number(), uptimeMs: z.number(), rssBytes: z.number() });

const processRef = z.strictObject({ pid: z.number().int().positive(), startTime: z.number().int().nonnegative() });
export const adoptInput = z.strictObject({ coordinator: processRef, host: z.string().min(1).max(255) });
export const adoptOutput = z.object({ name: z.string(), pid: z.number(), supervisor: processRef });

/** The per-instance adoption endpoint: with several instances of one agent, each has its own subject. */
export function adoptEndpointName(pid: number): string {
  return `adopt-${pid}`;
}

/** The contract name of a registered endpoint name (`adopt-1234` → `adopt`). */
export function contractName(endpoint: string): string {
  return /^adopt-\d+$/.test(endpoint) ? 'adopt' : endpoint;
}

export type HealthOutput = z.infer<typeof healthOutput>;
export type AdoptInput = z.input<typeof adoptInput>;
export type AdoptOutput = z.infer<typeof adoptOutput>;
