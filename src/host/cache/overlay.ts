// The apt archive cache as an overlay inside a chroot: the host's cache is the read-only lower
// layer, a run-private upper + work dir take every change. `apt-get clean` inside the chroot then
// only removes upper files (or writes whiteouts there): the host's .debs cannot be touched. Files
// the build creates in the upper layer are hard-linked into a run-private harvest dir as soon as
// they appear, so a download survives a later `apt-get clean` and can be harvested after the build.
// The mount is taken away exactly as a bind is (our mount id, never lazily: cache-bind.ts).
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { type BindHandle, safeTargetDir, topmostMountAt } from '../mounts/cache-bind.js';
import { runOk } from '../exec.js';
import { readMountinfo } from '../mounts/mountinfo.js';

export interface OverlayDirs {
  lower: string;
  /** Run-private: upper, work and harvest live below it, and it is deleted after the build. */
  privateDir: string;
  upper: string;
  work: string;
  harvest: string;
}

export interface OverlayHandle extends BindHandle {
  dirs: OverlayDirs;
}

/** The overlay's source field in mountinfo: how a tuner started again finds its own. */
export const OVERLAY_SOURCE = 'isoswarm-apt-cache';

export function overlayDirs(lower: string, privateDir: string): OverlayDirs {
  return {
    lower,
    privateDir,
    upper: join(privateDir, 'upper'),
    work: join(privateDir, 'work'),
    harvest: join(privateDir, 'harvest'),
  };
}

/**
 * overlayfs options are split at "," and ":" and unescaped at "\", and mountinfo escapes "=" in them:
 * such paths are refused, not escaped (our layers must read back as we gave them).
 */
function optionSafe(p: string): string {
  if (/[,:=\\\s]/.test(p))
    throw new Error(`refusing ${JSON.stringify(p)} as an overlay layer: it contains a separator character`);
  return p;
}

/** Mounts lower + private upper at `rel` inside the chroot (created without following symlinks). */
export async function mountOverlay(
  dirs: OverlayDirs,
  chrootRoot: string,
  rel = 'var/cache/apt/archives',
): Promise<OverlayHandle> {
  for (const d of [dirs.upper, dirs.work, dirs.harvest]) mkdirSync(d, { recursive: true, mode: 0o755 });
  const target = safeTargetDir(chrootRoot, rel);
  const before = topmostMountAt(await readMountinfo(), target);
  const opts = `lowerdir=${optionSafe(dirs.lower)},upperdir=${optionSafe(dirs.upper)},workdir=${optionSafe(dirs.work)}`;
  await runOk('mount', ['-t', 'overlay', OVERLAY_SOURCE, '-o', opts, target]);
  const after = topmostMountAt(await readMountinfo(), target);
  if (!after || after.id === before?.id || after.fsType !== 'overlay')
    throw new Error(`overlay mount on ${target} reported success but no new overlay is visible`);
  return { source: dirs.lower, target, mountId: after.id, dirs, upper: dirs.upper };
}

/** Links every regular file of the upper layer that `filter` accepts into the harvest dir (once). */
export function sweepUpper(dirs: OverlayDirs, filter: (name: string) => boolean): number {
  let linked = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dirs.upper);
  } catch {
    return 0;
  }
  for (const n of names) if (filter(n) && linkOne(dirs, n)) linked++;
  return linked;
}

function linkOne(dirs: OverlayDirs, name: string): boolean {
  if (name.includes('/') || existsSync(join(dirs.harvest, name))) return false;
  const src = join(dirs.upper, name);
  try {
    if (!lstatSync(src).isFile()) return false; // whiteouts are character devices; links are not ours
    linkSync(src, join(dirs.harvest, name));
    return true;
  } catch {
    return false; // gone already, or not linkable: the final sweep decides
  }
}

/**
 * Watches the upper layer (inotify) and links each new file `filter` accepts into the harvest dir.
 * A hard link shares the inode, so a file linked while still being written is complete later.
 */
export function captureUpper(dirs: OverlayDirs, filter: (name: string) => boolean): { stop(): void } {
  let w: FSWatcher | null = watch(dirs.upper, { persistent: false }, (_ev, name) => {
    if (typeof name === 'string' && filter(name)) linkOne(dirs, name);
  });
  w.on('error', () => {
    w?.close();
    w = null;
  });
  return {
    stop() {
      w?.close();
      w = null;
    },
  };
}
