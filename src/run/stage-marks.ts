// Reads a run's stage marks back from its registry dir: the `phase` calls' stages.ndjson, and the
// stage lines a builder printed into the build's output (out.log), parsed by its adapter.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_MARKS_FILE, type StageMark } from '../hook-runtime/stage-mark.js';

/** Marks written by `phase` calls; a torn last line (a build killed mid-write) is skipped. */
export function readPhaseMarks(dir: string): StageMark[] {
  const f = join(dir, STAGE_MARKS_FILE);
  if (!existsSync(f)) return [];
  const out: StageMark[] = [];
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as Partial<StageMark>;
      if (typeof m.name === 'string' && typeof m.at === 'number')
        out.push({ name: m.name, at: m.at, source: m.source ?? 'phase' });
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/** The build's output as the guardian logged it ('' when there is none). */
export function readBuildOutput(dir: string, file: 'out.log' | 'err.log' = 'out.log'): string {
  const f = join(dir, file);
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}
