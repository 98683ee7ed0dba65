// `isoswarm run --attach ID`: the output of a registered run from its start, followed until the build
// ends; the result is the build's exit code (128+signal when it was killed).
import { join } from 'node:path';
import { tailFiles } from './log-tail.js';
import { readEntry, stateOf, type RegistryEntry } from './registry.js';

export interface AttachResult {
  exitCode: number | null;
  state: string;
  entry: RegistryEntry;
}

export async function attachRun(
  stateRoot: string,
  runId: string,
  stdoutToStderr: boolean,
  pollMs = 200,
): Promise<AttachResult> {
  let e = readEntry(stateRoot, runId);
  const tail = tailFiles([
    { file: join(e.dir, 'out.log'), to: stdoutToStderr ? process.stderr : process.stdout },
    { file: join(e.dir, 'err.log'), to: process.stderr },
  ]);
  // The build ended when exit.json is there, or the run is done (post-task over) without one.
  while (!e.exit && !e.done) {
    await new Promise((r) => setTimeout(r, pollMs));
    e = readEntry(stateRoot, runId);
  }
  await tail.stop();
  return { exitCode: e.exit?.exitCode ?? e.done?.exitCode ?? null, state: stateOf(e), entry: e };
}
