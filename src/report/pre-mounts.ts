// Which mounts of a run's teardown were already under the chroot before the run (the checkpoint's
// list) and which the build made. The Unmounter treats both alike (it cannot tell who made a bind of
// the same file system), so the reader is told apart here: a user's own bind of a package repo that
// the teardown took down must be mounted again by hand.

export interface PreMount {
  mountPoint: string;
  fsType?: string;
  source?: string;
  /** The path inside the mounted file system (not "/" for a bind of a subfolder). */
  root?: string;
}

interface CheckpointLike {
  mountsUnderChroot: readonly string[];
  mountsUnderChrootInfo?: readonly PreMount[];
}

interface TeardownLike {
  unmounted?: readonly string[];
  attempts?: readonly { mountPoint: string; fsType: string; ok: boolean }[];
  remaining?: readonly { mountPoint: string; fsType?: string }[];
  foreign?: readonly unknown[];
}

export interface PreMountMarks {
  /** What the checkpoint found under the chroot before the run. */
  before: PreMount[];
  /** Parallel to the teardown's `unmounted`: true where that unmount took a mount from before the run. */
  unmountedWasBefore: boolean[];
  /** Mounts from before the run that the teardown unmounted. */
  unmounted: PreMount[];
  /** Mounts from before the run still mounted after the teardown. */
  left: PreMount[];
  /** Mounts from before the run gone by the teardown (unmounted during the build). */
  gone: PreMount[];
  /** Unmounts of mounts the build made. */
  built: number;
}

function beforeOf(c: CheckpointLike): PreMount[] {
  const info = c.mountsUnderChrootInfo;
  if (info && info.length === c.mountsUnderChroot.length) return info.map((m) => ({ ...m }));
  return c.mountsUnderChroot.map((mountPoint) => ({ mountPoint }));
}

function stillMounted(t: TeardownLike): { mountPoint: string; fsType?: string }[] {
  const out = [...(t.remaining ?? [])];
  const seen = new Set(out.map((m) => m.mountPoint));
  for (const f of t.foreign ?? []) {
    const m = (f as { mount?: { mountPoint?: unknown; fsType?: unknown } } | null)?.mount;
    if (typeof m?.mountPoint !== 'string' || seen.has(m.mountPoint)) continue;
    out.push({ mountPoint: m.mountPoint, ...(typeof m.fsType === 'string' ? { fsType: m.fsType } : {}) });
  }
  return out;
}

/**
 * Matches by mount point (and file system type where both sides know it). Stacked mounts on one path
 * go top first, so the ones from before the run are the last unmounted there, or the ones left.
 */
export function markPreMounts(c: CheckpointLike | undefined, t: TeardownLike | null): PreMountMarks | null {
  if (!c) return null;
  const before = beforeOf(c);
  const taken = before.map(() => false);
  const take = (mountPoint: string, fsType: string | undefined): PreMount | null => {
    const i = before.findIndex(
      (p, j) => !taken[j] && p.mountPoint === mountPoint && (!p.fsType || !fsType || p.fsType === fsType),
    );
    if (i < 0) return null;
    taken[i] = true;
    return before[i] ?? null;
  };
  const left: PreMount[] = [];
  for (const m of t ? stillMounted(t) : []) {
    const p = take(m.mountPoint, m.fsType);
    if (p) left.push(p);
  }
  const unmountedPaths = t?.unmounted ?? [];
  const ok = (t?.attempts ?? []).filter((a) => a.ok);
  const aligned = ok.length === unmountedPaths.length;
  const unmountedWasBefore = unmountedPaths.map(() => false);
  const unmounted: PreMount[] = [];
  for (let i = unmountedPaths.length - 1; i >= 0; i--) {
    const p = take(unmountedPaths[i] ?? '', aligned ? ok[i]?.fsType : undefined);
    if (!p) continue;
    unmountedWasBefore[i] = true;
    unmounted.unshift(p);
  }
  const gone = before.filter((_, j) => !taken[j]);
  const built = unmountedPaths.length - unmounted.length;
  return { before, unmountedWasBefore, unmounted, left, gone, built };
}

/** findmnt's way: `/dev/sda1[/srv/repo]` for a bind of a subfolder. */
export function describePreMount(p: PreMount): string {
  if (!p.fsType) return p.mountPoint;
  const from = p.source ? ` ${p.source}${p.root && p.root !== '/' ? `[${p.root}]` : ''}` : '';
  return `${p.mountPoint} (${p.fsType}${from})`;
}

/** File systems whose files live only in memory: unmounting one drops them. */
export const MEMORY_FS: ReadonlySet<string> = new Set(['tmpfs', 'ramfs']);

function mounts(n: number): string {
  return `${n} mount${n === 1 ? '' : 's'}`;
}

/** The run's notes after its teardown; none when nothing was under the chroot before the run. */
export function preMountNotes(m: PreMountMarks | null): string[] {
  if (!m?.before.length) return [];
  const list = (ps: PreMount[]): string => ps.map(describePreMount).join(', ');
  const were = m.before.length === 1 ? 'was' : 'were';
  const out = [`${mounts(m.before.length)} ${were} under the chroot before the run: ${list(m.before)}`];
  if (m.unmounted.length)
    out.push(
      `the teardown unmounted ${mounts(m.unmounted.length)} from before the run like the build's own (nothing was deleted through them; mount them again if you still need them): ${list(m.unmounted)}`,
    );
  const dropped = m.unmounted.filter((p) => p.fsType && MEMORY_FS.has(p.fsType));
  if (dropped.length) out.push(`the files on ${list(dropped)} lived in memory and went with the unmount`);
  if (m.left.length) out.push(`${mounts(m.left.length)} from before the run still mounted: ${list(m.left)}`);
  if (m.gone.length)
    out.push(
      `${mounts(m.gone.length)} from before the run gone by the teardown (unmounted during the build): ${list(m.gone)}`,
    );
  out.push(`${mounts(m.built)} the build made ${m.built === 1 ? 'was' : 'were'} unmounted by the teardown`);
  return out;
}
