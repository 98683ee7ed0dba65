// The compression settings the tuner measures. Cheap ones run on the full sample; costly ones on a
// quarter-size sub-sample, and two of those only when the first measurements leave them a chance to
// win. That keeps sampling near 10 % of an xz -b 1M build of the tree, and every candidate that is
// compared was measured for real (nothing is derived from a table).
import { type SquashChoice, choiceLabel } from '../../src/host/squashfs/mksquashfs.js';
import { type SampleRun } from './predict.js';

export type Tier = 'cheap' | 'costly';

export interface Candidate {
  label: string;
  choice: SquashChoice;
  tier: Tier;
  /** Given the runs so far, a reason this candidate cannot win (then it is not measured). */
  pruneIf?: (runs: readonly SampleRun[]) => string | null;
}

function cand(choice: SquashChoice, tier: Tier, pruneIf?: Candidate['pruneIf']): Candidate {
  return { label: choiceLabel(choice), choice, tier, ...(pruneIf ? { pruneIf } : {}) };
}

const ratio = (r: SampleRun) => r.imageBytes / Math.max(1, r.uniqueBytes);
const find = (runs: readonly SampleRun[], f: (c: SquashChoice) => boolean) => runs.find((r) => f(r.choice));
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * zstd -19 is measured only when it could be the smallest: it is typically 0.5-1.5 % smaller than
 * zstd -15 at 2-3x its time, so when zstd -15 is more than 3 % larger than xz -b 1M it cannot win.
 */
function pruneZstd19(runs: readonly SampleRun[]): string | null {
  const z15 = find(runs, (c) => c.comp === 'zstd' && c.level === 15);
  const xz1m = find(runs, isXz1M);
  if (!z15 || !xz1m || z15.level !== xz1m.level) return null;
  const gap = ratio(z15) / ratio(xz1m) - 1;
  return gap > 0.03 ? `zstd-15 is ${pct(gap)} larger than xz -b 1M; zstd-19 gains <= 2 % on zstd-15` : null;
}

/**
 * xz with 128 KiB blocks is never smaller than xz -b 1M and never faster than zstd -15 or gzip, so
 * it is measured only when none of those lands within the aggressive size allowance (then it may be
 * the fastest acceptable one).
 */
function pruneXz(runs: readonly SampleRun[]): string | null {
  const xz1m = find(runs, isXz1M);
  if (!xz1m) return null;
  const limit = ratio(xz1m) * 1.25;
  const ok = runs.find((r) => r.choice.comp !== 'xz' && r.level === xz1m.level && ratio(r) <= limit);
  return ok ? `${ok.label} is already within +25 % of xz -b 1M and faster than xz` : null;
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
    // Costly ones in this order: the reference and the default first, then the conditional ones.
    cand({ comp: 'xz', blockSize: 1 << 20, processors: p }, 'costly'),
    cand({ comp: 'gzip', processors: p }, 'costly'),
    cand({ comp: 'zstd', level: 15, processors: p }, 'costly'),
    cand({ comp: 'zstd', level: 19, processors: p }, 'costly', pruneZstd19),
    cand({ comp: 'xz', processors: p }, 'costly', pruneXz),
  ];
  if (p > 1) list.push(cand({ comp: 'zstd', level: 3, processors: 1 }, 'cheap'));
  return list;
}

/** The reference the sampling budget is measured against: xz with 1 MiB blocks, all processors. */
export function isXz1M(c: SquashChoice): boolean {
  return c.comp === 'xz' && c.blockSize === 1 << 20 && c.level === undefined && c.bcj === undefined;
}

/** The control measured on both sample sizes to correct the sub-sample's compressibility bias. */
export function controlChoice(nproc: number): SquashChoice {
  return { comp: 'zstd', level: 3, processors: Math.max(1, nproc) };
}
