// What a run knows about its builder, kept in the run's registry dir (builder.json) so that
// whoever does post-task (the CLI, or a coordinator after the runner was lost) reads it back:
// which builder, and for live-build its cache as it was before the build.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuilderInfo } from '../builders/detect.js';
import type { CacheSnapshot } from '../builders/live-build-cache.js';
import { writeFileDurable } from '../host/fs/durable-write.js';

export interface BuilderState {
  builder: BuilderInfo;
  cacheBefore: CacheSnapshot | null;
}

const FILE = 'builder.json';

export function writeBuilderState(dir: string, s: BuilderState): void {
  writeFileDurable(join(dir, FILE), `${JSON.stringify(s)}\n`);
}

export function readBuilderState(dir: string): BuilderState | null {
  const f = join(dir, FILE);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as BuilderState;
  } catch {
    return null;
  }
}
