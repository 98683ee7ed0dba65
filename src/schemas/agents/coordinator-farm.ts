// The coordinator's farm blob endpoints: the performance tuner's root cache reaches the farm's object
// store through them (agents have no JetStream rights of their own; see docs/farm.md).
import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** What the publisher recorded with a blob (the root store's entry: object name, spec, timings). */
const meta = z.record(z.string(), z.unknown());

export const farmBlobFetchInput = z.strictObject({
  /** The cache's own key (a debootstrap root spec's key). */
  key: z.string().min(1).max(200),
  /** Where the verified blob goes: a new file inside the root cache. */
  dest: z.string().startsWith('/'),
});
export const farmBlobFetchOutput = z.object({
  found: z.boolean(),
  reason: z.string(),
  sha256: sha256.nullable(),
  size: z.number().int().nonnegative().nullable(),
  from: z.string().nullable(),
  meta: meta.nullable(),
});

export const farmBlobPublishInput = z.strictObject({
  key: z.string().min(1).max(200),
  /** A file inside the root cache; its sha256 is checked before it is shared. */
  file: z.string().startsWith('/'),
  sha256,
  meta: meta.default({}),
});
export const farmBlobPublishOutput = z.object({ published: z.enum(['stored', 'already-there', 'not-a-farm']) });
