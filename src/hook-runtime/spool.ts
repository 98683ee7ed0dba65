// Hook events the running coordinator cannot be sent (its bus is down) wait in a spool file: the
// coordinator holds the memory as its single writer, so a hook must not open LMDB beside it. Each
// event is one line appended with O_APPEND (whole lines, never interleaved); the coordinator takes
// the file (an atomic rename), runs the events, and removes it.
import { appendFileSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../host/system/state-dir.js';
import type { HookEvent } from '../schemas/hook-types.js';

const SPOOL = 'hooks-spool.jsonl';

export function appendToSpool(paths: StatePaths, event: HookEvent): void {
  appendFileSync(join(paths.root, SPOOL), `${JSON.stringify(event)}\n`, { mode: 0o600, flag: 'a' });
}

export interface TakenSpool {
  file: string;
  events: unknown[];
  bad: number;
}

/** The spool and any taken-but-unfinished spools of an earlier coordinator, ready to process. */
export function takeSpools(paths: StatePaths): TakenSpool[] {
  try {
    renameSync(join(paths.root, SPOOL), join(paths.root, `${SPOOL}.taken-${process.pid}-${Date.now()}`));
  } catch {
    /* nothing spooled */
  }
  const out: TakenSpool[] = [];
  for (const name of readdirSync(paths.root).filter((n) => n.startsWith(`${SPOOL}.taken-`)).sort()) {
    const file = join(paths.root, name);
    let bad = 0;
    const events: unknown[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        bad++;
      }
    }
    out.push({ file, events, bad });
  }
  return out;
}

export function finishSpool(s: TakenSpool): void {
  rmSync(s.file, { force: true });
}
