// A full disk is named, not shown as a stack: which disk (the one holding the state dir, or the path
// the error names), its mount point and file system, and how much is free.
import { readFileSync, statfsSync } from 'node:fs';
import { stateDir } from '../host/system/state-dir.js';

const FULL = /ENOSPC|EDQUOT|no space left|disk quota|MDB_MAP_FULL|insufficient storage/i;

export function isDiskFull(e: unknown): boolean {
  const x = e as { code?: unknown; message?: unknown };
  return FULL.test(String(x?.code ?? '')) || FULL.test(String(x?.message ?? ''));
}

function mountPointOf(path: string): { mountPoint: string; fsType: string } | null {
  try {
    // Longest mount point that is an ancestor of the path (mountinfo fields 5 and after " - ").
    const lines = readMountinfo();
    let best: { mountPoint: string; fsType: string } | null = null;
    for (const l of lines) {
      const f = l.split(' ');
      const mp = (f[4] ?? '').replace(/\\040/g, ' ');
      const fsType = f[f.indexOf('-') + 1] ?? '?';
      if (
        (path === mp || path.startsWith(mp === '/' ? '/' : `${mp}/`)) &&
        (!best || mp.length >= best.mountPoint.length)
      )
        best = { mountPoint: mp, fsType };
    }
    return best;
  } catch {
    return null;
  }
}

/** Small and synchronous: this runs once, on the way out. */
function readMountinfo(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
}

export function diskFullMessage(e: unknown): string {
  const path = typeof (e as { path?: unknown })?.path === 'string' ? (e as { path: string }).path : stateDir();
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  let where = `the disk holding ${path}`;
  const m = mountPointOf(path);
  if (m) where += ` (mounted at ${m.mountPoint}, ${m.fsType})`;
  try {
    const s = statfsSync(path);
    where += `: ${mb(s.bavail * s.bsize)} free of ${mb(s.blocks * s.bsize)}`;
  } catch {
    /* the path may not exist: the mount point still names the disk */
  }
  return `no space left on ${where}. Free space there, or point ISOSWARM_HOME at another disk. (${(e as Error)?.message ?? String(e)})`;
}
