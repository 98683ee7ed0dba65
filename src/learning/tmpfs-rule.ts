// Pure: the tmpfs work-dir rule the tuner recommends and `run --tmpfs-workdir` applies. A tmpfs work
// dir when memory holds the tree twice: room for the tree (+25 % growth) and as much again for the build.

export const TMPFS_GROWTH = 1.25;
const MIB = 2 ** 20;

export interface TmpfsAdvice {
  recommended: boolean;
  /** The tmpfs size: the tree grown by 25 %, whole MiB (0 when not recommended). */
  sizeBytes: number;
  /** MemAvailable the rule asks for: twice the tree. */
  needBytes: number;
  reason: string;
}

/** The size a tmpfs for a tree of `treeBytes` gets: +25 %, rounded up to whole MiB. */
export function tmpfsSizeFor(treeBytes: number): number {
  return Math.ceil((treeBytes * TMPFS_GROWTH) / MIB) * MIB;
}

export function tmpfsAdvice(memAvailableBytes: number, treeBytes: number): TmpfsAdvice {
  const needBytes = 2 * treeBytes;
  const recommended = treeBytes > 0 && memAvailableBytes >= needBytes;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  return {
    recommended,
    sizeBytes: recommended ? tmpfsSizeFor(treeBytes) : 0,
    needBytes,
    reason: recommended
      ? `available memory ${gib(memAvailableBytes)} GiB >= 2 x tree ${gib(treeBytes)} GiB`
      : `available memory ${gib(memAvailableBytes)} GiB < 2 x tree ${gib(treeBytes)} GiB`,
  };
}
