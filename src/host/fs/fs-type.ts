// File-system type of a path from statfs(2) magic numbers, and which types are kernel pseudo file
// systems that a deleter must never walk (deleting "files" there changes the running kernel).
import { statfs } from 'node:fs/promises';

/** f_type magic numbers from linux/magic.h (the ones a build host meets). */
const MAGIC: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0xde5e81e4, 'efivarfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x958458f6, 'hugetlbfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x6e736673, 'nsfs'],
  [0x0187, 'autofs'],
  // devtmpfs reports the tmpfs magic: only mountinfo's type tells them apart (see safe-delete).
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x2fc12fc1, 'zfs'],
  [0x794c7630, 'overlay'],
  [0x73717368, 'squashfs'],
  [0x9660, 'iso9660'],
  [0x15013346, 'udf'],
  [0x4d44, 'vfat'],
  [0x5346544e, 'ntfs'],
  [0x7366746e, 'ntfs3'],
  [0x2011bab0, 'exfat'],
  [0xf2f52010, 'f2fs'],
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x65735546, 'fuse'],
  [0x01021997, 'v9fs'],
  [0x3153464a, 'jfs'],
  [0x52654973, 'reiserfs'],
]);

const PSEUDO = new Set([
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'efivarfs',
  'devtmpfs',
  'devpts',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'binfmt_misc',
  'selinuxfs',
  'smackfs',
  'nsfs',
  'autofs',
  'rpc_pipefs',
  'nfsd',
]);

/** Name for a statfs magic number; unknown ones read as "0x<hex>" (never as a known-safe type). */
export function fsTypeName(magic: number | bigint): string {
  const n = Number(BigInt.asUintN(32, BigInt(magic)));
  return MAGIC.get(n) ?? `0x${n.toString(16)}`;
}

/** The type of the file system holding `path` (follows a final symlink, as statfs does). */
export async function statfsType(path: string): Promise<string> {
  const st = await statfs(path, { bigint: true });
  return fsTypeName(st.type);
}

/** True for kernel pseudo file systems (as named by statfsType or by mountinfo's type field). */
export function isPseudoFs(name: string): boolean {
  return PSEUDO.has(name);
}
