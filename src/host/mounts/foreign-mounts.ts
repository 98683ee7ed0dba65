// Which mounts under a target belong to the build and which are someone else's (a USB stick, a
// network share, a FUSE mount): the latter are reported and left mounted, never unmounted.
import type { LoopDevice } from './loop-devices.js';
import { type MountEntry } from './mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';

export interface ForeignMount {
  mount: MountEntry;
  reason: string;
}

const NETWORK = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ncpfs',
  'afs',
  'ceph',
  'glusterfs',
  '9p',
  'sshfs',
  'davfs',
  'lustre',
]);
const BLOCK = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'vfat',
  'msdos',
  'exfat',
  'ntfs',
  'ntfs3',
  'iso9660',
  'udf',
  'squashfs',
  'erofs',
  'f2fs',
  'jfs',
  'reiserfs',
  'hfs',
  'hfsplus',
  'nilfs2',
  'bcachefs',
  'zfs',
  'fuseblk',
]);

function networkOrFuse(fsType: string): boolean {
  return NETWORK.has(fsType) || fsType === 'fuse' || fsType === 'fuseblk' || fsType.startsWith('fuse.');
}

/** A file system that lives on a block device (not proc, tmpfs, overlay, devpts, ...). */
function blockBacked(m: MountEntry): boolean {
  return BLOCK.has(m.fsType) || (m.major !== 0 && m.source.startsWith('/dev/'));
}

/** Why this mount, taken on its own, is not the build's to unmount; null when it is. */
function foreignReason(
  m: MountEntry,
  all: readonly MountEntry[],
  target: string,
  loops: readonly LoopDevice[],
): string | null {
  if (networkOrFuse(m.fsType)) return `${m.fsType} is a network or FUSE file system`;
  if (!blockBacked(m)) return null;
  if (m.mountPoint === target) return null; // the user asked for this very mount point
  const dev = `${m.major}:${m.minor}`;
  const loop = loops.find((l) => l.devNumbers.includes(dev) || l.name === m.source);
  if (loop?.backingFile && isAtOrUnder(loop.backingFile, target)) return null; // an image of the build
  // The same file system is also mounted outside the target: this one is only a bind (a view),
  // and unmounting it leaves the host's mount in place.
  if (all.some((o) => `${o.major}:${o.minor}` === dev && !isAtOrUnder(o.mountPoint, target))) return null;
  return loop
    ? `${m.source} is a loop device backed by ${loop.backingFile ?? 'an unknown file'} outside the target`
    : `${m.source} (${m.fsType}) is a block device mounted only inside the target`;
}

/**
 * Splits the mounts under `target` into the build's own and foreign ones. Anything mounted on top
 * of or inside a foreign mount is foreign too (it lives in someone else's file system).
 */
export function classifyMounts(
  all: readonly MountEntry[],
  target: string,
  loops: readonly LoopDevice[],
): { ours: MountEntry[]; foreign: ForeignMount[] } {
  const under = all.filter((m) => isAtOrUnder(m.mountPoint, target));
  const byId = new Map(under.map((m) => [m.id, m]));
  const memo = new Map<number, string | null>();
  const verdict = (m: MountEntry, depth = 0): string | null => {
    if (memo.has(m.id)) return memo.get(m.id) ?? null;
    let r = foreignReason(m, all, target, loops);
    const parent = byId.get(m.parentId);
    if (r === null && parent && parent.id !== m.id && depth < 4096) {
      const pr = verdict(parent, depth + 1);
      if (pr !== null) r = `inside the foreign mount ${parent.mountPoint}`;
    }
    memo.set(m.id, r);
    return r;
  };
  const ours: MountEntry[] = [];
  const foreign: ForeignMount[] = [];
  for (const m of under) {
    const r = verdict(m);
    if (r === null) ours.push(m);
    else foreign.push({ mount: m, reason: r });
  }
  return { ours, foreign };
}
