// The memory's writer lock, apart from lmdb: a hook can learn that the memory is busy (and spool
// its event) without loading the database at all.
import { mkdirSync, realpathSync } from 'node:fs';
import { acquireNamedLock, lockName, type TargetLock } from '../host/guard/target-lock.js';
import { holderAnswer } from '../host/guard/lock-probe.js';

/**
 * The lock's name: a target lock's, as in every earlier version, so that writers of two versions keep
 * each other out. Its holder says `memory:<dir>`, no path, so a run looking for cleanups inside its
 * chroot passes it by; a run skips its own home's by name (a stopped writer says nothing).
 */
export function writerLockName(dir: string): string {
  return lockName(memoryLockTarget(dir));
}

function memoryLockTarget(dir: string): string {
  return `memory:${realpathSync(dir)}`;
}

/** Takes the lock within `waitMs` (0: one attempt), or returns null when another writer keeps it. */
export async function acquireWriterLock(dir: string, waitMs: number): Promise<TargetLock | null> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = memoryLockTarget(dir);
  const take = () =>
    acquireNamedLock(lockName(target), holderAnswer(`memory writer (pid ${process.pid})`, target), target);
  const end = Date.now() + waitMs;
  let lock = await take();
  for (let delay = 2; !lock && Date.now() < end; delay = Math.min(delay * 2, 50)) {
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, end - Date.now()))));
    lock = await take();
  }
  return lock;
}
