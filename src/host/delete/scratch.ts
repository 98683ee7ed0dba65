// Our own scratch dirs (samples, benchmark files, a debootstrap tarball being made) go through the
// same deleter as a chroot: it stops at mounts and never follows a symlink, so a scratch dir that
// something got mounted into (debootstrap mounts /proc in its target) is refused, not emptied.
import { realpath } from 'node:fs/promises';
import { deleteTree } from './safe-delete.js';

/** Removes a scratch dir we made (a missing one is fine); throws with the reason when anything stays. */
export async function removeScratchDir(dir: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const r = await deleteTree(real, { countBytes: false });
  if (r.refused) throw new Error(`refusing to remove ${dir}: ${r.refused}`);
  if (!r.complete) {
    const left = [...r.skipped.map((s) => `${s.path}: ${s.reason}`), ...r.errors.map((e) => `${e.path}: ${e.message}`)];
    throw new Error(`${dir} was not removed completely: ${left.slice(0, 3).join('; ') || 'unknown reason'}`);
  }
}
