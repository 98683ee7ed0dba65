// Scratch dirs of an agent (the tuner's samples and images, the host benchmark's files) are journalled:
// an entry naming the dir is written, durably, before the dir exists, and removed only after the dir
// was deleted through the safe deleter. An agent killed mid-way leaves the entry; the next start of the
// agent deletes what it names (never across a mount: the safe deleter refuses) and drops the entry.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isAlive, refOf, type ProcessRef } from '../proc/process-identity.js';
import { removeScratchDir } from './scratch.js';
import { writeFileDurable } from '../fs/durable-write.js';

interface Entry {
  path: string;
  owner: ProcessRef | null;
  at: string;
}

/** `<ISOSWARM_HOME>/journal/scratch`, or null without a state dir (then nothing is journalled). */
export function scratchJournalDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.ISOSWARM_HOME ? join(env.ISOSWARM_HOME, 'journal', 'scratch') : null;
}

function writeEntry(file: string, e: Entry): void {
  writeFileDurable(file, JSON.stringify(e));
}

/** Creates `<parent>/<prefix><random>` after journalling it. */
export function createScratch(parent: string, prefix: string, journalDir = scratchJournalDir()): string {
  const path = join(parent, `${prefix}${randomBytes(6).toString('hex')}`);
  if (journalDir) {
    mkdirSync(journalDir, { recursive: true, mode: 0o700 });
    writeEntry(join(journalDir, `${basename(path)}.json`), {
      path,
      owner: refOf(process.pid),
      at: new Date().toISOString(),
    });
  }
  mkdirSync(path, { mode: 0o700 });
  return path;
}

/** Deletes a scratch dir through the safe deleter (refusing anything mounted in it), then its journal entry. */
export async function removeJournalledScratch(path: string, journalDir = scratchJournalDir()): Promise<void> {
  await removeScratchDir(path);
  if (journalDir) rmSync(join(journalDir, `${basename(path)}.json`), { force: true });
}

export interface ScratchRecovery {
  removed: string[];
  failed: { path: string; reason: string }[];
}

/** At an agent's start: deletes the scratch dirs that a killed predecessor journalled. */
export async function recoverScratch(journalDir = scratchJournalDir()): Promise<ScratchRecovery> {
  const out: ScratchRecovery = { removed: [], failed: [] };
  if (!journalDir || !existsSync(journalDir)) return out;
  for (const n of readdirSync(journalDir)) {
    const file = join(journalDir, n);
    if (n.endsWith('.tmp')) {
      rmSync(file, { force: true });
      continue;
    }
    if (!n.endsWith('.json')) continue;
    let e: Entry;
    try {
      e = JSON.parse(readFileSync(file, 'utf8')) as Entry;
      if (typeof e.path !== 'string' || basename(e.path) !== n.slice(0, -5))
        throw new Error('does not name its scratch dir');
    } catch (err) {
      // A torn entry names nothing that can be trusted: it is dropped, nothing is deleted for it.
      out.failed.push({ path: file, reason: `unreadable journal entry (${(err as Error).message}): dropped` });
      rmSync(file, { force: true });
      continue;
    }
    if (e.owner && isAlive(e.owner)) continue; // still in use by a live process
    try {
      await removeJournalledScratch(e.path, journalDir);
      out.removed.push(e.path);
    } catch (err) {
      out.failed.push({ path: e.path, reason: (err as Error).message });
    }
  }
  return out;
}
