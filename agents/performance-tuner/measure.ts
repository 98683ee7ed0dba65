// Over 250 lines on purpose: sampling, building and reading back one candidate share their scratch and timing state.
// Side effects: materializes the sample and sub-sample of the real tree in a scratch dir, runs real
// mksquashfs and unsquashfs over them for every candidate, and removes the scratch dir again.
import { closeSync, mkdirSync, openSync, readSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSquashfs,
  fixedOverheadMs,
  readBackCost,
  choiceLabel,
  type SquashChoice,
} from '../../src/host/squashfs/mksquashfs.js';
import { createScratch, removeJournalledScratch } from '../../src/host/delete/scratch-journal.js';
import { type TreeScan } from '../../src/host/squashfs/tree-scan.js';
import { estimateDuplicates, largeCopies } from '../../src/host/squashfs/tree-dedup.js';
import { OVERSAMPLE, stratifySample } from '../../src/host/squashfs/tree-sample-strata.js';
import {
  DEFAULT_SAMPLE_LIMITS,
  materializeSample,
  planSample,
  sampleFraction,
  type SampleLimits,
  type SamplePlan,
} from '../../src/host/squashfs/tree-sample.js';
import { type Candidate, controlChoice } from './candidates.js';
import { searchCandidates, type BcjStatus } from './search.js';
import { type Calibration, type SampleLevel, type SampleRun } from './predict.js';

export interface SampleInfo {
  fraction: number;
  files: number;
  bytes: number;
  /** Bytes held once each (identical files in the sample are stored once by mksquashfs too). */
  uniqueBytes: number;
}

export interface Measurements {
  runs: SampleRun[];
  /** Candidates not measured, and why (a cheaper measurement showed they cannot win). */
  pruned: { label: string; reason: string }[];
  /** The search's steps (block-size probe, level bisection), for the report. */
  steps: string[];
  /** What happened to -Xbcj x86 (null: a fixed candidate list was measured). */
  bcj: BcjStatus | null;
  dedup: { uniqueShare: number; hashedFiles: number; hashedBytes: number; complete: boolean };
  calibration: Calibration;
  sample: SampleInfo;
  subsample: SampleInfo;
  samplingMs: number;
}

export interface MeasureOptions {
  root: string;
  scan: TreeScan;
  /** A fixed list instead of the search; without it the search decides what to measure. */
  candidates?: Candidate[];
  nproc: number;
  scratchParent?: string;
  limits?: Partial<SampleLimits>;
  /** Runs shorter than this are repeated (up to 3) and the best kept (default 100 ms). */
  repeatBelowMs?: number;
  /** Measure xz -b 1M -Xbcj x86 on machine code (see search.ts). */
  bcj?: boolean;
  /** Settings to measure besides the search's own (a script's asked options). */
  extra?: SquashChoice[];
  /** The setting the build would run otherwise (anchors the aggressive bound; see search.ts). */
  baseline?: SquashChoice;
  /** The host's measured/predicted size factor per compressor: the search compares calibrated sizes. */
  sizeFactor?: (comp: string) => number;
  onProgress?: (msg: string) => void;
}

/**
 * Sub-sample for the costly candidates: a quarter of the sample, but at least 4 MiB (or the whole
 * sample when smaller) — below that, a 2-processor xz -b 1M run sees too few blocks to run in
 * parallel and its per-byte time is twice the full build's. Its luck of the draw in compressibility
 * is corrected with a control compressor run on both samples.
 */
export function subsampleFraction(treeBytes: number, fraction: number): number {
  if (treeBytes <= 0) return 1;
  return Math.min(fraction, Math.max(fraction * 0.25, (4 << 20) / treeBytes));
}

/** Share of the sample's bytes that come from ELF files (read from each file's first four bytes). */
export function elfShare(root: string, plan: SamplePlan): number {
  const head = Buffer.alloc(4);
  let elf = 0;
  for (const e of plan.entries) {
    let fd: number | null = null;
    try {
      fd = openSync(join(root, e.rel), 'r');
      if (readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46) elf += e.length;
    } catch {
      /* unreadable: counted as not ELF */
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
  return plan.bytes > 0 ? elf / plan.bytes : 0;
}

/** Reads every sample file once so that no candidate pays for a cold page cache the others skip. */
function warm(dir: string): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = openSync(p, 'r');
        try {
          while (readSync(fd, buf, 0, buf.length, null) > 0) {
            /* read through */
          }
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  walk(dir);
}

async function measureOne(
  label: string,
  choice: SquashChoice,
  level: SampleLevel,
  dir: string,
  info: SampleInfo,
  img: string,
  repeatBelowMs: number,
): Promise<SampleRun> {
  let wallMs = Infinity;
  let cpuMs: number | null = Infinity;
  let imageBytes = 0;
  let runs = 0;
  while (runs < 3) {
    const b = await buildSquashfs(dir, img, choice);
    runs++;
    wallMs = Math.min(wallMs, b.wallMs);
    cpuMs = b.cpuMs === null || cpuMs === null ? null : Math.min(cpuMs, b.cpuMs);
    imageBytes = b.imageBytes;
    if (b.wallMs >= repeatBelowMs) break;
  }
  // Single-threaded decompression is steady: one read-back of the (identical) image is enough.
  const rb = await readBackCost(img);
  const readBackMs = rb.cpuMs ?? rb.wallMs;
  rmSync(img, { force: true });
  return {
    label,
    choice,
    level,
    sampleBytes: info.bytes,
    uniqueBytes: info.uniqueBytes,
    sampleFiles: info.files,
    wallMs: Math.round(wallMs),
    cpuMs,
    imageBytes,
    readBackMs: Math.round(readBackMs),
    runs,
  };
}

export async function measureCandidates(o: MeasureOptions): Promise<Measurements> {
  const started = performance.now();
  const limits = { ...DEFAULT_SAMPLE_LIMITS, ...o.limits };
  const tree = o.scan.totalBytes;
  const scratch = createScratch(o.scratchParent ?? tmpdir(), 'isoswarm-tune-');
  const say = o.onProgress ?? (() => {});
  try {
    const f1 = sampleFraction(tree, limits);
    const f2 = subsampleFraction(tree, f1);
    // Copies of large files are left out of the draw (their bytes are known duplicates), and the
    // large files' blocks are drawn K times over and thinned by compressibility (tree-sample-strata).
    const copies = f1 < 1 ? largeCopies(o.scan, 2 << 20) : { skip: new Set<string>(), skipBytes: 0, hashedBytes: 0 };
    const keptShare = tree > 0 ? 1 - copies.skipBytes / tree : 1;
    let pooled = 0;
    const draw = (f: number): SamplePlan => {
      if (f >= 1) return planSample(o.scan, f, limits.seed);
      const pool = planSample(o.scan, f, limits.seed, { oversample: OVERSAMPLE, skip: copies.skip });
      const s = stratifySample(o.root, pool, limits.seed);
      pooled += s.strata.pooled;
      return s.plan;
    };
    const p1 = draw(f1);
    const p2 = f2 < f1 ? draw(f2) : p1;
    const hashes = new Map<string, string>();
    const d1 = estimateDuplicates(o.scan, p1, { cache: hashes, skip: copies.skip });
    const d2 = p2 === p1 ? d1 : estimateDuplicates(o.scan, p2, { cache: hashes, skip: copies.skip });
    const uniqueShare = d1.uniqueShare * keptShare;
    const s1 = await materializeSample(o.root, p1, join(scratch, 'sample'));
    const s2 = p2 === p1 ? s1 : await materializeSample(o.root, p2, join(scratch, 'subsample'));
    const sample = { fraction: f1, files: p1.entries.length, bytes: p1.bytes, uniqueBytes: d1.sampleUniqueBytes };
    const subsample = { fraction: f2, files: p2.entries.length, bytes: p2.bytes, uniqueBytes: d2.sampleUniqueBytes };
    say(
      `sample ${sample.files} files ${sample.bytes} B (${(f1 * 100).toFixed(1)} %), sub-sample ${subsample.bytes} B, distinct share ${uniqueShare.toFixed(3)} (${copies.skip.size} large copies left out; ${pooled} large-file blocks pooled, thinned by compressibility)`,
    );
    warm(s1.dir);
    if (s2 !== s1) warm(s2.dir);
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const img = join(scratch, 'out.img');
    const control = controlChoice(o.nproc);
    const overhead = await fixedOverheadMs(empty, img, control);
    await buildSquashfs(empty, img, control);
    const rb0 = await readBackCost(img);
    rmSync(img, { force: true });
    const repeat = o.repeatBelowMs ?? 100;
    const pruned: { label: string; reason: string }[] = [];
    // One measurement per label and sample: the search asks again for what it already knows.
    const done = new Map<string, SampleRun>();
    const probe = async (choice: SquashChoice, level: SampleLevel): Promise<SampleRun> => {
      const label = choiceLabel(choice);
      const k = `${label}@${level}`;
      let r = done.get(k);
      if (!r) {
        const [dir, info] = level === 'sample' || s2 === s1 ? [s1.dir, sample] : [s2.dir, subsample];
        r = await measureOne(
          label,
          choice,
          level === 'subsample' && s2 === s1 ? 'sample' : level,
          dir,
          info,
          img,
          repeat,
        );
        done.set(k, r);
        say(`${label} on ${level}: ${r.wallMs} ms, ${r.imageBytes} B`);
      }
      return r;
    };
    // The control on both samples, once something runs on the sub-sample: how much more or less
    // compressible the sub-sample happened to be, so sizes measured on either share one scale.
    let subsampleSizeCorrection = 1;
    let corrected = s2 === s1;
    const correct = async () => {
      corrected = true;
      const onSample = await probe(control, 'sample');
      const onSub = await probe(control, 'subsample');
      const ratio1 = onSample.imageBytes / Math.max(1, sample.uniqueBytes);
      const ratio2 = onSub.imageBytes / Math.max(1, subsample.uniqueBytes);
      if (ratio2 > 0) subsampleSizeCorrection = ratio1 / ratio2;
    };
    const probeCorrected = async (choice: SquashChoice, level: SampleLevel): Promise<SampleRun> => {
      if (level === 'subsample' && !corrected) await correct();
      return probe(choice, level);
    };
    const ratio = (r: SampleRun) =>
      (r.imageBytes / Math.max(1, r.uniqueBytes)) *
      (r.level === 'subsample' ? subsampleSizeCorrection : 1) *
      (o.sizeFactor?.(r.choice.comp) ?? 1);
    let runs: SampleRun[] = [];
    let steps: string[] = [];
    let bcj: BcjStatus | null = null;
    if (o.candidates) {
      for (const c of o.candidates) {
        const why = c.pruneIf?.(runs) ?? null;
        if (why) {
          pruned.push({ label: c.label, reason: why });
          continue;
        }
        runs.push(await probeCorrected(c.choice, c.tier === 'cheap' ? 'sample' : 'subsample'));
      }
    } else {
      const found = await searchCandidates({
        nproc: o.nproc,
        elfShare: elfShare(o.root, p1),
        probe: probeCorrected,
        ratio,
        ...(o.bcj ? { bcj: true } : {}),
        ...(o.extra?.length ? { extra: o.extra } : {}),
        ...(o.baseline ? { baseline: o.baseline } : {}),
        say,
      });
      bcj = found.bcj;
      runs = found.runs;
      pruned.push(...found.pruned);
      steps = found.steps;
    }
    return {
      runs,
      pruned,
      steps,
      bcj,
      dedup: {
        uniqueShare,
        hashedFiles: d1.hashedFiles + (d2 === d1 ? 0 : d2.hashedFiles),
        hashedBytes: d1.hashedBytes + (d2 === d1 ? 0 : d2.hashedBytes) + copies.hashedBytes,
        complete: d1.complete && d2.complete,
      },
      calibration: {
        overheadMs: Math.round(overhead.wallMs),
        overheadCpuMs: overhead.cpuMs,
        readBackOverheadMs: rb0.cpuMs ?? Math.round(rb0.wallMs),
        subsampleSizeCorrection,
        uniqueShare,
      },
      sample,
      subsample,
      samplingMs: Math.round(performance.now() - started),
    };
  } finally {
    // Through the safe deleter; if this process dies first, the tuner's next start removes it.
    await removeJournalledScratch(scratch);
  }
}
