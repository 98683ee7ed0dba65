// Hook events that cannot be written now wait in a spool: one file per event, written aside and
// renamed into place (a reader sees whole events or none, and no writer can append to a file a
// drainer has already read). Two cases: the coordinator runs but its bus is down (it owns the
// memory as its single writer), or another process holds the memory's writer lock (a burst of
// hooks). Whoever next holds the lock drains the spool (spool-drain.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../host/system/state-dir.js';
import type { HookEvent } from '../schemas/hook-types.js';

const DIR = 'hooks-spool';
/** The single append-only file of earlier versions; its events are moved into the spool dir. */
const LEGACY = 'hooks-spool.jsonl';

export function spoolDir(paths: StatePaths): string {
  return join(paths.root, DIR);
}

function fileName(event: Pick<HookEvent, 'at' | 'id'>): string {
  // `at` first: a drain in name order runs events in the order they happened.
  return `${event.at}-${event.id}.json`.replace(/[^\w.:-]/g, '_');
}

export function appendToSpool(paths: StatePaths, event: HookEvent): void {
  const dir = spoolDir(paths);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.tmp-${process.pid}-${event.id.replace(/[^\w-]/g, '_')}`);
  writeFileSync(tmp, JSON.stringify(event), { mode: 0o600 });
  renameSync(tmp, join(dir, fileName(event)));
}

export interface SpooledEvent {
  file: string;
  /** The parsed event, or null when the file is not JSON. */
  event: unknown;
}

function migrateLegacy(paths: StatePaths): void {
  const files = readdirSync(paths.root).filter((n) => n === LEGACY || n.startsWith(`${LEGACY}.taken-`));
  for (const name of files) {
    const file = join(paths.root, name);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as HookEvent;
        if (typeof e?.id === 'string' && typeof e.at === 'string') appendToSpool(paths, e);
      } catch {
        /* a torn line of the old format carries no event */
      }
    }
    rmSync(file, { force: true });
  }
}

/** Whether anything waits (cheap: one readdir; callers skip the lock and LMDB when nothing does). */
export function spoolPending(paths: StatePaths): boolean {
  if (existsSync(join(paths.root, LEGACY))) return true;
  try {
    return readdirSync(spoolDir(paths)).some((n) => n.endsWith('.json'));
  } catch {
    return false;
  }
}

/** The spooled events in the order they happened. Call only while holding the memory's writer lock. */
export function readSpool(paths: StatePaths): SpooledEvent[] {
  migrateLegacy(paths);
  let names: string[];
  try {
    names = readdirSync(spoolDir(paths))
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const file = join(spoolDir(paths), n);
    try {
      return { file, event: JSON.parse(readFileSync(file, 'utf8')) as unknown };
    } catch {
      return { file, event: null };
    }
  });
}

/** A spooled event that is done (or cannot be read) leaves the spool; unreadable ones are kept aside. */
export function removeSpooled(s: SpooledEvent, unreadable = false): void {
  if (unreadable) renameSync(s.file, `${s.file}.bad`);
  else rmSync(s.file, { force: true });
}
