// live-build's squashfs knobs (live-build 1:20230502, binary_rootfs): it runs, inside its chroot,
//   mksquashfs chroot filesystem.squashfs [-Xcompression-level L] -comp T [...] ${MKSQUASHFS_OPTIONS}
// with T = LB_CHROOT_SQUASHFS_COMPRESSION_TYPE (xz when empty), L = ..._LEVEL, and
// MKSQUASHFS_OPTIONS from the environment. TYPE and LEVEL are read from config/chroot, which `lb
// config` always writes (empty by default), so the environment cannot set them; LB_CONFIG (the list
// of config files live-build reads, in order) can add one more file after the user's that does.
// Pure: files in, options and environment out.
export const COMMON_CONFFILES = [
  'config/all',
  'config/common',
  'config/bootstrap',
  'config/chroot',
  'config/binary',
  'config/source',
];

/** The config files live-build reads, in its order (its Get_conffiles). */
export function liveBuildConffiles(env: NodeJS.ProcessEnv): string[] {
  if (env.LB_CONFIG) return env.LB_CONFIG.split(/\s+/).filter(Boolean);
  const out = [...COMMON_CONFFILES];
  for (const f of COMMON_CONFFILES) {
    if (env.LB_ARCHITECTURE) out.push(`${f}.${env.LB_ARCHITECTURE}`);
    if (env.LB_DISTRIBUTION) out.push(`${f}.${env.LB_DISTRIBUTION}`);
  }
  return out;
}

export interface SquashKnobs {
  type: string;
  level: string;
}

/** TYPE and LEVEL as the files set them (the last assignment wins, as when they are sourced). */
export function readSquashKnobs(texts: readonly string[]): SquashKnobs {
  const k: SquashKnobs = { type: '', level: '' };
  for (const t of texts)
    for (const m of t.matchAll(
      /^\s*(?:export\s+)?LB_CHROOT_SQUASHFS_COMPRESSION_(TYPE|LEVEL)=(["']?)([^"'\n]*)\2\s*$/gm,
    ))
      k[m[1] === 'TYPE' ? 'type' : 'level'] = m[3]!.trim();
  return k;
}

const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);

/** The compression options the build asks for: the user's knobs (live-build's xz default is not asked). */
export function askedOptions(k: SquashKnobs, mksquashfsOptions: string | undefined): string[] {
  return [
    ...(k.type ? ['-comp', k.type] : []),
    ...(k.level ? ['-Xcompression-level', k.level] : []),
    ...words(mksquashfsOptions),
  ];
}

/** What binary_rootfs runs without the tuner: the user's knobs, else live-build's -comp xz (128 KiB blocks). */
export function baselineOptions(k: SquashKnobs, mksquashfsOptions: string | undefined): string[] {
  return ['-comp', k.type || 'xz', ...(k.level ? ['-Xcompression-level', k.level] : []), ...words(mksquashfsOptions)];
}

export interface KnobPlan {
  /** Environment for live-build's binary_rootfs: MKSQUASHFS_OPTIONS, and LB_CONFIG when an overlay is needed. */
  env: Record<string, string>;
  /** Contents of the overlay config file (TYPE and LEVEL), or null when the user's values stand. */
  overlay: SquashKnobs | null;
}

/** What ran (the options the policy chose) translated back into live-build's knobs. */
export function knobsFor(ranOptions: readonly string[], user: SquashKnobs): KnobPlan {
  let type = user.type;
  let level = user.level;
  const rest: string[] = [];
  for (let i = 0; i < ranOptions.length; i++) {
    const a = ranOptions[i]!;
    if (a === '-comp') type = ranOptions[++i] ?? type;
    else if (a === '-Xcompression-level') level = ranOptions[++i] ?? level;
    else rest.push(a);
  }
  // A level belongs to its compressor: a tuned compressor without one drops the user's.
  if (type !== user.type && !ranOptions.includes('-Xcompression-level')) level = '';
  const changed = type !== user.type || level !== user.level;
  return { env: { MKSQUASHFS_OPTIONS: rest.join(' ') }, overlay: changed ? { type, level } : null };
}

export function overlayText(k: SquashKnobs): string {
  return `# written by isoswarm for this build's squashfs stage (the tuned choice)\nLB_CHROOT_SQUASHFS_COMPRESSION_TYPE="${k.type}"\nLB_CHROOT_SQUASHFS_COMPRESSION_LEVEL="${k.level}"\n`;
}
