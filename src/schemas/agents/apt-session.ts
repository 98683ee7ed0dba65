// What the tuner keeps beside an attached apt cache overlay (in its run-private dir), so that a tuner
// started again while the overlay is mounted takes the build back: its hold on the cache, the access
// snapshot its hit counts start from, and the packages installed at attach.
import { z } from 'zod';

export const aptSessionFileSchema = z.strictObject({
  version: z.literal(1),
  cacheDir: z.string().min(1),
  chroot: z.string().min(1),
  limitBytes: z.number().nonnegative(),
  snapshot: z.strictObject({
    at: z.number(),
    files: z.record(
      z.string(),
      z.strictObject({ size: z.number().nonnegative(), atimeMs: z.number(), mtimeMs: z.number() }),
    ),
    armed: z.boolean(),
  }),
  installedBefore: z.array(z.string()).nullable(),
  overlapped: z.boolean(),
});
export type AptSessionFile = z.infer<typeof aptSessionFileSchema>;
