// The memory's writer lock, apart from lmdb: a hook can learn that the memory is busy (and spool
// its event) without loading the database at all.
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { acquireNamedLock, type TargetLock } from '../host/guard/target-lock.js';

/** Takes the lock within `waitMs` (0: one attempt), or returns null when another writer keeps it. */
export async function acquireWriterLock(dir: string, waitMs: number): Promise<TargetLock | null> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A name of its own, not a target lock's: a run looking for cleanups inside its chroot never asks it.
  const name = `isoswarm-memory-${createHash('sha256').update(realpathSync(dir)).digest('hex')}`;
  const end = Date.now() + waitMs;
  let lock = await acquireNamedLock(name);
  for (let delay = 2; !lock && Date.now() < end; delay = Math.min(delay * 2, 50)) {
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, end - Date.now()))));
    lock = await acquireNamedLock(name);
  }
  return lock;
}
