// run.json in the state dir: how later CLI calls find the swarm that `isoswarm up` started.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const procRef = z.object({ pid: z.number().int(), startTime: z.number() });

export const runFileSchema = z.object({
  url: z.string(),
  embedded: z.boolean(),
  prefix: z.string(),
  nats: procRef.nullable(),
  coordinator: procRef.nullable(),
  startedAt: z.string(),
  logFile: z.string(),
});
export type RunFile = z.infer<typeof runFileSchema>;

export function readRunFile(path: string): RunFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const r = runFileSchema.safeParse(JSON.parse(text));
  return r.success ? r.data : null;
}

/** Written atomically (rename) so a reader never sees half a file. */
export function writeRunFile(path: string, rf: RunFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rf, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeRunFile(path: string): void {
  rmSync(path, { force: true });
}
