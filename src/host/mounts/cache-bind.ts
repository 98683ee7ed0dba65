// Bind-mounts a host cache dir into a chroot (the apt archive cache at /var/cache/apt/archives) and
// takes exactly that mount away again. The target is resolved component by component inside the
// chroot and refused if any component is a symlink (a chroot's symlink may point at the host). The
// unmount only touches the mount we made, identified by its mount id, never lazily, by its exact
// mountinfo path with the teardown's checks (unmountExact).
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '../exec.js';
import { readMountinfo, type MountEntry } from './mountinfo.js';
import { unmountExact } from './unmount.js';
import { isOverlayOn } from './overlay-options.js';

export interface BindHandle {
  source: string;
  target: string;
  /** The kernel's id of the mount we made: the only mount unbind will ever remove. */
  mountId: number;
  /** An overlay's upper dir: the mount with our id must also be an overlay on it (ids are reused). */
  upper?: string;
}

/** The mount table's entry for `h`: its id, at its path, and for an overlay, on its upper dir. */
function entryOf(entries: MountEntry[], h: BindHandle): MountEntry | undefined {
  const e = entries.find((x) => x.id === h.mountId);
  if (!e || e.mountPoint !== h.target) return undefined;
  if (h.upper !== undefined && !isOverlayOn(e, h.upper)) return undefined;
  return e;
}

/** Resolves `rel` under `root` without following symlinks, creating missing dirs (inside the chroot). */
export function safeTargetDir(root: string, rel: string): string {
  const realRoot = realpathSync(root);
  let cur = realRoot;
  for (const part of rel.split('/').filter((p) => p !== '')) {
    if (part === '.' || part === '..') throw new Error(`refusing "${rel}": relative components`);
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      mkdirSync(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink()) throw new Error(`refusing ${cur}: a symlink inside the chroot could lead out of it`);
    if (!st.isDirectory()) throw new Error(`refusing ${cur}: not a directory`);
  }
  return cur;
}

export function topmostMountAt(entries: MountEntry[], path: string): MountEntry | undefined {
  // Later lines are mounted later: the last entry at a path is the one visible there.
  let top: MountEntry | undefined;
  for (const e of entries) if (e.mountPoint === path) top = e;
  return top;
}

export async function bindCache(
  source: string,
  chrootRoot: string,
  rel = 'var/cache/apt/archives',
): Promise<BindHandle> {
  const src = realpathSync(source);
  const target = safeTargetDir(chrootRoot, rel);
  const before = topmostMountAt(await readMountinfo(), target);
  await runOk('mount', ['--bind', src, target]);
  const after = topmostMountAt(await readMountinfo(), target);
  if (!after || after.id === before?.id)
    throw new Error(`mount --bind ${src} ${target} reported success but no new mount is visible`);
  return { source: src, target, mountId: after.id };
}

export interface UnbindResult {
  unmounted: boolean;
  reason: string;
  /** Nothing of ours is mounted any more (someone else took it away): there is nothing to unmount. */
  gone?: boolean;
}

/**
 * Unmounts the handle's mount if, and only if, it is still the one on top at its path; through the
 * teardown's own checks (exact mountinfo path, no symlink on it, --no-canonicalize): a symlink or a
 * mount the build put over an ancestor cannot redirect the umount to a host mount.
 */
export async function unbindCache(h: BindHandle, opts: { unmount?: boolean } = {}): Promise<UnbindResult> {
  const entries = await readMountinfo();
  // A mount id the kernel gave again to another mount is not ours: matched by path and layer too.
  const ours = entryOf(entries, h);
  if (!ours) {
    // Our overlay seen at another path (a bind copy of it, a renamed chroot) is still ours, mounted.
    const elsewhere = copyOf(entries, h);
    if (elsewhere)
      return {
        unmounted: false,
        reason: `refused: our overlay is mounted at ${elsewhere.mountPoint}, not at ${h.target}`,
      };
    return { unmounted: false, gone: true, reason: 'already unmounted (not in the mount table)' };
  }
  // Asked only whether it is gone: it is not, and nothing is unmounted.
  if (opts.unmount === false) return { unmounted: false, reason: `still mounted at ${ours.mountPoint}` };
  const top = topmostMountAt(entries, ours.mountPoint);
  if (top?.id !== h.mountId)
    return {
      unmounted: false,
      reason: `refused: mount ${top?.id} is stacked on ours (${h.mountId}) at ${ours.mountPoint}`,
    };
  const error = await unmountExact(ours);
  const after = await readMountinfo();
  if (entryOf(after, h) !== undefined)
    return { unmounted: false, reason: `umount of ${ours.mountPoint} refused or failed: ${error ?? 'still mounted'}` };
  // A copy of our overlay left at another path keeps its layers in use: not done yet.
  const copy = copyOf(after, h);
  if (copy) return { unmounted: false, reason: `our overlay is still mounted at ${copy.mountPoint}` };
  return { unmounted: true, reason: 'unmounted' };
}

/** Another mount of our overlay (on our upper dir), wherever it is. */
function copyOf(entries: MountEntry[], h: BindHandle): MountEntry | undefined {
  if (h.upper === undefined) return undefined;
  return entries.find((e) => isOverlayOn(e, h.upper!));
}
