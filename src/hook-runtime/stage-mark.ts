// A build's stage marks: `isoswarm hooks notification --phase NAME` (and the `phase` shell function)
// appends one line to the run's registry dir (ISOSWARM_RUN_DIR, set by `isoswarm run` in the build's
// environment). Each mark starts a stage; post-task turns the marks into the run's stage timeline.
// One short O_APPEND write per mark: marks from parallel calls never interleave.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

export const STAGE_MARKS_FILE = 'stages.ndjson';

export interface StageMark {
  name: string;
  /** Epoch milliseconds. */
  at: number;
  /** Who named the stage: "phase" (a script's call) or a builder's name (its own stage lines). */
  source: string;
}

/** When the stage began: the shell's $EPOCHREALTIME captured before the hook started, else now. */
export function markTime(env: NodeJS.ProcessEnv = process.env, now = Date.now()): number {
  const raw = env.ISOSWARM_PHASE_AT?.replace(',', '.');
  const secs = raw ? Number(raw) : NaN;
  return Number.isFinite(secs) && secs > 1e9 ? Math.round(secs * 1000) : now;
}

/** Appends a mark to the run's registry dir; false when this process is not inside `isoswarm run`. */
export function appendStageMark(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dir = env.ISOSWARM_RUN_DIR;
  if (!dir) return false;
  const mark: StageMark = { name, at: markTime(env), source: 'phase' };
  appendFileSync(join(dir, STAGE_MARKS_FILE), `${JSON.stringify(mark)}\n`, { flag: 'a' });
  return true;
}
