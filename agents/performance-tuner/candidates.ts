// The compression settings the tuner measures. Cheap ones run on the full sample; costly ones on a
// quarter-size sub-sample, which keeps total sampling time near 10 % of an xz -b 1M build of the tree
// while still measuring every candidate for real (nothing is derived from a table).
import { type SquashChoice, choiceLabel } from '../../src/host/squashfs.js';

export type Tier = 'cheap' | 'costly';

export interface Candidate {
  label: string;
  choice: SquashChoice;
  tier: Tier;
}

function cand(choice: SquashChoice, tier: Tier): Candidate {
  return { label: choiceLabel(choice), choice, tier };
}

/**
 * gzip (mksquashfs's default), xz, xz with 1 MiB blocks (the common distro setting), zstd 3/9/15/19
 * and lz4, all with every processor; plus zstd-3 on one processor, which shows how well this host
 * and tree parallelise and is a choice that leaves the other cores to the rest of the build.
 */
export function defaultCandidates(nproc: number): Candidate[] {
  const p = Math.max(1, nproc);
  const list: Candidate[] = [
    cand({ comp: 'lz4', processors: p }, 'cheap'),
    cand({ comp: 'zstd', level: 3, processors: p }, 'cheap'),
    cand({ comp: 'zstd', level: 9, processors: p }, 'cheap'),
    cand({ comp: 'gzip', processors: p }, 'costly'),
    cand({ comp: 'zstd', level: 15, processors: p }, 'costly'),
    cand({ comp: 'zstd', level: 19, processors: p }, 'costly'),
    cand({ comp: 'xz', processors: p }, 'costly'),
    cand({ comp: 'xz', blockSize: 1 << 20, processors: p }, 'costly'),
  ];
  if (p > 1) list.push(cand({ comp: 'zstd', level: 3, processors: 1 }, 'cheap'));
  return list;
}

/** The reference the sampling budget is measured against: xz with 1 MiB blocks, all processors. */
export function isXz1M(c: SquashChoice): boolean {
  return c.comp === 'xz' && c.blockSize === 1 << 20 && c.level === undefined;
}

/** The control measured on both sample sizes to correct the sub-sample's compressibility bias. */
export function controlChoice(nproc: number): SquashChoice {
  return { comp: 'zstd', level: 3, processors: Math.max(1, nproc) };
}
