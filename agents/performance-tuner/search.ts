// The candidate search: compressor x level x block size x -Xbcj x processors, driven by the
// measurements themselves instead of a fixed grid. Every step is a real mksquashfs run on the
// sample of the tree; what a step rules out is recorded with the
// reason. Everything compared runs on one sample, so that size ratios share one scale. The steps:
//  1. references: lz4, zstd-3 at 128 KiB and at 1 MiB blocks (the block-size probe), xz -b 1M
//     (the common distro setting, and the anchor of the aggressive size bound); xz -b 1M -Xbcj x86
//     only when asked (it compresses every block with and without the filter: twice xz's CPU, for
//     a few % on machine code; conservative mode asks) and the sample holds machine code; any
//     setting the caller names (a script's own options, so the what-if is a measurement), and the
//     build's own baseline when the caller knows it (it then anchors the bound instead of xz -b 1M);
//  2. zstd's block size: 1 MiB when it is smaller and no slower than 128 KiB at level 3, else the
//     intermediate sizes are measured and the fastest within 2 % of the smallest is kept;
//  3. bisection over zstd levels (1..19) for the lowest level whose ratio is within the aggressive
//     bound (+25 % of the baseline or xz -b 1M, less the margin for a ratio between two runs on one sample): zstd's
//     size falls and its time rises with the level, so the lowest passing level is the fastest
//     acceptable zstd;
//  4. zstd-19, only when the levels measured come close enough to the smallest to make it a
//     contender for "smallest"; the chosen level on one processor (a choice that leaves cores to
//     the rest of the build).
// The bound is the aggressive one whatever the mode: the record then serves every mode later.
import { type SquashChoice, choiceLabel } from '../../src/host/squashfs/mksquashfs.js';
import { AGGRESSIVE_ALLOWANCE, REFERENCE_MARGIN } from './choose.js';
import { type SampleRun } from './predict.js';

export type Tier = 'sample' | 'subsample';

export interface SearchContext {
  nproc: number;
  /** Share of the sample's bytes in ELF files: -Xbcj x86 is tried only when this is material. */
  elfShare: number;
  /** Runs one real measurement (or returns the earlier one for the same label and tier). */
  probe: (choice: SquashChoice, tier: Tier) => Promise<SampleRun>;
  /** Image bytes per distinct input byte, corrected for the sub-sample's luck of the draw. */
  ratio: (run: SampleRun) => number;
  /** Measure xz -b 1M -Xbcj x86 (on machine code): the smallest-image question asks for it. */
  bcj?: boolean;
  /** Settings to measure as well, e.g. what a script asked for (its what-if is then measured). */
  extra?: SquashChoice[];
  /** The setting the build would run otherwise: measured, and the anchor of the aggressive bound. */
  baseline?: SquashChoice;
  say?: (msg: string) => void;
}

export interface SearchResult {
  runs: SampleRun[];
  pruned: { label: string; reason: string }[];
  /** The steps taken, in order, for the report. */
  steps: string[];
  zstdBlock: number;
  zstdLevel: number | null;
  /** What happened to -Xbcj x86: a later conservative decision may not reuse a record that skipped it. */
  bcj: BcjStatus;
}

export type BcjStatus = 'measured' | 'skipped' | 'no machine code';

/** The x86 filter is worth a measurement when at least this share of the bytes is machine code. */
export const BCJ_MIN_ELF_SHARE = 0.1;
/** zstd-19 gains at most this much over zstd-9 or higher (measured: 1-3 %), so it is tried only this close to the smallest. */
export const ZSTD19_REACH = 0.05;
/** The one-processor variant is measured only for levels up to this (above, it is never a useful choice). */
const COSTLY_ZSTD_LEVEL = 12;
const MIB = 1 << 20;
/**
 * CPU milliseconds two identical runs on a few MiB differ by on a busy host (measured: 34 vs 44 ms
 * for one zstd-3 run): below that a time difference decides nothing.
 */
const TIMING_NOISE_MS = 25;

/** The aggressive size bound for an image/bytes ratio, from the anchor's ratio on the same sample. */
export function aggressiveBound(xzRatio: number): number {
  return (xzRatio * (1 + AGGRESSIVE_ALLOWANCE)) / (1 + REFERENCE_MARGIN);
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
/** CPU time where known: on a busy build host it moves far less than wall time between two runs. */
const cost = (r: SampleRun) => r.cpuMs ?? r.wallMs;

export async function searchCandidates(ctx: SearchContext): Promise<SearchResult> {
  const p = Math.max(1, ctx.nproc);
  const runs: SampleRun[] = [];
  const pruned: SearchResult['pruned'] = [];
  const steps: string[] = [];
  const note = (s: string) => {
    steps.push(s);
    ctx.say?.(s);
  };
  const measure = async (c: SquashChoice, tier: Tier): Promise<SampleRun> => {
    const r = await ctx.probe(c, tier);
    if (!runs.includes(r)) runs.push(r);
    return r;
  };
  const zstd = (level: number, blockSize: number | undefined, processors = p): SquashChoice => ({
    comp: 'zstd',
    level,
    ...(blockSize !== undefined && blockSize !== 128 << 10 ? { blockSize } : {}),
    processors,
  });

  // 1. References.
  await measure({ comp: 'lz4', processors: p }, 'sample');
  const z3 = await measure(zstd(3, undefined), 'sample');
  const z3m = await measure(zstd(3, MIB), 'sample');
  // The references run on the same sample as zstd: a smaller sub-sample corrected by a control
  // predicted xz -b 1M 19 % too small on a 700 MB tree of shared libraries (zstd 9 % too small),
  // which skews exactly the ratio the bound is made of.
  const xz = await measure({ comp: 'xz', blockSize: MIB, processors: p }, 'sample');
  const bcjChoice: SquashChoice = { comp: 'xz', blockSize: MIB, bcj: 'x86', processors: p };
  let bcj: BcjStatus = 'skipped';
  if (ctx.elfShare < BCJ_MIN_ELF_SHARE) {
    bcj = 'no machine code';
    pruned.push({
      label: choiceLabel(bcjChoice),
      reason: `ELF share of the sample ${pct(ctx.elfShare)} < ${pct(BCJ_MIN_ELF_SHARE)}: the x86 filter only pays on machine code`,
    });
  } else if (ctx.bcj) {
    bcj = 'measured';
    await measure(bcjChoice, 'sample');
  } else
    pruned.push({
      label: choiceLabel(bcjChoice),
      reason:
        'not asked: -Xbcj x86 costs about twice the CPU of xz for a few % on machine code (conservative mode measures it)',
    });
  for (const c of ctx.extra ?? []) await measure(c, 'sample');
  const anchor = ctx.baseline ? await measure(ctx.baseline, 'sample') : xz;
  const anchorName = ctx.baseline ? `baseline ${choiceLabel(ctx.baseline)}` : 'xz -b 1M';

  // 2. zstd's block size.
  let block = MIB;
  if (ctx.ratio(z3m) <= ctx.ratio(z3) && cost(z3m) <= cost(z3) * 1.15 + TIMING_NOISE_MS) {
    for (const b of [256 << 10, 512 << 10])
      pruned.push({
        label: choiceLabel(zstd(3, b)),
        reason: '1 MiB blocks are smaller and no slower than 128 KiB at level 3; sizes in between lie between',
      });
    note(
      `zstd blocks: 1M (level 3: ${pct(ctx.ratio(z3m))} vs ${pct(ctx.ratio(z3))} at 128K, ${cost(z3m)} vs ${cost(z3)} ms CPU)`,
    );
  } else {
    const all = [z3, await measure(zstd(3, 256 << 10), 'sample'), await measure(zstd(3, 512 << 10), 'sample'), z3m];
    const best = Math.min(...all.map(ctx.ratio));
    const pick = all.filter((r) => ctx.ratio(r) <= best * 1.02).sort((a, b) => cost(a) - cost(b))[0] as SampleRun;
    block = pick.choice.blockSize ?? 128 << 10;
    note(`zstd blocks: ${block >> 10}K (fastest within 2 % of the smallest at level 3)`);
  }

  // 3. Bisection over zstd levels within the aggressive bound, anchored to the baseline or xz -b 1M.
  const refs = runs.filter((r) => r.choice.comp !== 'zstd' || r.choice.level === 3);
  const smallest = Math.min(...refs.map(ctx.ratio), ctx.ratio(xz));
  const bound = aggressiveBound(ctx.ratio(anchor));
  const at = new Map<number, SampleRun>();
  const level = async (l: number) => {
    let r = at.get(l);
    if (!r) {
      r = await measure(zstd(l, block), 'sample');
      at.set(l, r);
    }
    return r;
  };
  const ok = (r: SampleRun) => ctx.ratio(r) <= bound;
  let passing: number | null = null;
  if (ok(await level(3))) {
    passing = ok(await level(1)) ? 1 : 3;
  } else {
    let lo = 3;
    let hi = 19;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(await level(mid))) hi = mid;
      else lo = mid;
    }
    if (at.has(hi) ? ok(at.get(hi) as SampleRun) : ok(await level(hi))) passing = hi;
  }
  note(
    `zstd level bisection at ${block >> 10}K blocks: bound ${pct(bound)} (${anchorName} ${pct(ctx.ratio(anchor))} +25 %, less ${REFERENCE_MARGIN * 100} % margin); ` +
      `measured ${[...at.keys()]
        .sort((a, b) => a - b)
        .map((l) => `${l}:${pct(ctx.ratio(at.get(l) as SampleRun))}`)
        .join(' ')} -> ${passing === null ? 'no level within the bound' : `level ${passing}`}`,
  );

  // 4. zstd-19 as a contender for the smallest, and the chosen level on one processor.
  const z19 = zstd(19, block);
  if (!at.has(19)) {
    const high = [...at.entries()].filter(([l]) => l >= 9).map(([, r]) => ctx.ratio(r));
    const nearest = high.length ? Math.min(...high) : Infinity;
    if (nearest <= smallest * (1 + ZSTD19_REACH)) await level(19);
    else
      pruned.push({
        label: choiceLabel(z19),
        reason: `zstd levels >= 9 measured stay > ${pct(ZSTD19_REACH)} above the smallest; zstd-19 gains less than that`,
      });
  }
  if (p > 1 && passing !== null && passing <= COSTLY_ZSTD_LEVEL) await measure(zstd(passing, block, 1), 'sample');
  return { runs, pruned, steps, zstdBlock: block, zstdLevel: passing, bcj };
}
