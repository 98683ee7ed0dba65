// What the tuner keeps beside an attached apt cache overlay (in its run-private dir), so that a tuner
// started again while the overlay is mounted takes the build back: its hold on the cache, the access
// snapshot its hit counts start from, the packages installed at attach, and what a detach that
// could not end it counted.
import { z } from 'zod';

const absolute = z.string().regex(/^\/[^\0]*$/, 'an absolute path');
/** A file name of the cache (joined to its dir): one component, never "." or "..". */
const debName = z.string().regex(/^(?!\.\.?$)[^/\0]+$/, 'one file name');

const named = z.strictObject({ name: debName, size: z.number().nonnegative() });

export const aptSessionFileSchema = z.strictObject({
  version: z.literal(1),
  cacheDir: absolute,
  chroot: absolute,
  limitBytes: z.number().nonnegative(),
  snapshot: z.strictObject({
    at: z.number(),
    files: z.record(
      debName,
      z.strictObject({ size: z.number().nonnegative(), atimeMs: z.number(), mtimeMs: z.number() }),
    ),
    /** Written by earlier versions (always false): accepted, not used. */
    armed: z.boolean().optional(),
  }),
  // Only ever compared with, never a path: as the chroot's dpkg status names them.
  installedBefore: z.array(z.string()).nullable(),
  /** Written by earlier versions: accepted, not used (no count depends on it). */
  overlapped: z.boolean().optional(),
  /** The run that attached (absent: attached without one, or by an earlier version). */
  runId: z.string().max(200).nullable().optional(),
  /** What a detach that could not end the session counted: the ending detach adds to it. */
  counted: z
    .strictObject({ hits: z.array(named), misses: z.array(named), hitsSeen: z.boolean() })
    .nullable()
    .optional(),
});
export type AptSessionFile = z.infer<typeof aptSessionFileSchema>;
