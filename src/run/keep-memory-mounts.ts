// A run that keeps its chroot (--keep, --keep-on-failure, live-build's default) must not start when a
// memory file system (tmpfs, ramfs) was mounted at or under the chroot before it: the teardown after
// the build unmounts everything under the chroot, and the files on it would go although the run
// promised to keep them. Refused before the build, with nothing changed.
import type { RunCheckpoint } from '../schemas/run-record.js';
import { MEMORY_FS, describePreMount, type PreMount } from '../report/pre-mounts.js';
import { RunRefusal } from './tmpfs-workdir.js';

export function memoryPreMounts(cp: RunCheckpoint): PreMount[] {
  return (cp.mountsUnderChrootInfo ?? []).filter((m) => MEMORY_FS.has(m.fsType));
}

/** Throws a refusal (exit 3) when a kept chroot holds a memory file system from before the run. */
export function refuseKeepOverMemoryMounts(cp: RunCheckpoint, chroot: string | null, keepWhy: string | null): void {
  const mem = memoryPreMounts(cp);
  if (!chroot || !keepWhy || !mem.length) return;
  throw new RunRefusal(
    `${keepWhy}: refusing to keep ${chroot}: ${mem.map(describePreMount).join(', ')} ${mem.length === 1 ? 'was' : 'were'} mounted there before the run and the teardown after the build unmounts everything under the chroot, so the files on ${mem.length === 1 ? 'it' : 'them'} would be lost; mount the tmpfs on a directory above the chroot instead (one there is left alone: for live-build, on the directory that holds ./chroot), copy the tree to disk, or run without keeping the chroot (--chroot DIR without --keep); nothing was changed`,
    'refused',
  );
}
