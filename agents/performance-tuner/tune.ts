// Over 250 lines on purpose: one decision path (reuse, measure, choose, remember) with its evidence kept together.
// The agent-level tune: fingerprint the host, scan the target tree, reuse what was learned for this
// host and a similar tree (fast path) or measure candidates on a sample of the real tree, choose by
// mode, and remember the evidence. Memory is injected: the agent passes the bus-backed memory.
import { readFileSync } from 'node:fs';
import { type AppendEvent } from '../../src/learning/append.js';
import { freemem } from 'node:os';
import { hostFingerprint, type HostFingerprint } from '../../src/host/squashfs/fingerprint.js';
import { hostBenchmark, type HostBenchmark } from '../../src/host/squashfs/host-benchmark.js';
import { choiceLabel, mksquashfsArgs, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { scanTree, treeSignature, type TreeSignature } from '../../src/host/squashfs/tree-scan.js';
import { type SampleLimits } from '../../src/host/squashfs/tree-sample.js';
import { type Candidate, isXz1M } from './candidates.js';
import { askedChoice } from './squashfs-policy.js';
import { calibrationKey, timeFactors, type TimeFactors } from './calibration.js';
import { type CpuContention } from '../../src/host/proc/cpu-contention.js';
import { cpuMark } from '../../src/host/proc/cpu-recent.js';
import { loadSeen } from './load-seen.js';
import { applyTimeModel, type TimedCandidate } from './time-model.js';
import { applySizeFactors, sizeFactorFor, sizeFactors, type SizeFactors } from './size-calibration.js';
import { choose, type Decision, type Mode } from './choose.js';
import { DEFAULT_MAX_AGE_MS, parallelConfigKey, reuseVerdict, type ReuseVerdict, type TuneRecord } from './learning.js';
import { measureCandidates } from './measure.js';
import { predictAll, type PredictedCandidate } from './predict.js';
import { exportEnv, formatExports, recommend, type Recommendation } from './recommend.js';

/** Share of the predicted xz -b 1M build a tune may cost (issue 11's target: 5 %). */
export const TUNE_BUDGET = 0.05;

/** What tune needs from the memory: the value under a key (or undefined), and a committed write. */
export interface TuneMemory {
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  /**
   * Adds one item to a list in the record under `key` inside the writer's transaction, so that
   * concurrent appends all land. Without it (a memory of one process) get + set is used.
   */
  append?(key: string, a: AppendEvent): Promise<unknown>;
}

export interface TuneOptions {
  /** The tree the build will squash (a chroot or image root). */
  target: string;
  /** Where the build writes (its disk and file system are part of the fingerprint); default target. */
  buildDir?: string;
  mode?: Mode;
  /**
   * Keep the record per kind of tree (size class and dominant extension) instead of one per host,
   * so two different trees built on one host do not overwrite each other's measurement.
   */
  treeKeyed?: boolean;
  /** Measure even when a reusable record exists. */
  force?: boolean;
  maxAgeMs?: number;
  scratchParent?: string;
  limits?: Partial<SampleLimits>;
  candidates?: Candidate[];
  /** Sample runs shorter than this are repeated (up to 3) and the best kept; default 100 ms. */
  repeatBelowMs?: number;
  /** Also measure the host (CPU, memory, disk, compressors) and store it with the record. */
  benchmark?: boolean;
  /** Measure xz -Xbcj x86 on machine code even outside conservative mode (twice xz's CPU). */
  bcj?: boolean;
  /** The mksquashfs options a script passed: that setting is measured too, so its what-if is a measurement. */
  asked?: readonly string[];
  /**
   * The mksquashfs options that would run without the tuner (a builder's default or a script's own
   * -comp): measured, and the anchor of aggressive's size bound instead of xz -b 1M (choose.ts).
   */
  baseline?: readonly string[];
  now?: () => Date;
  onProgress?: (msg: string) => void;
  /** The process asking (a shim waiting for the answer): the load window starts after it started. */
  callerPid?: number;
}

export interface TuneResult {
  choice: {
    label: string;
    choice: SquashChoice;
    mksquashfsOpts: string;
    reason: string;
    predicted: PredictedCandidate['predicted'];
  };
  decision: Decision;
  exports: string;
  env: Record<string, string>;
  recommendation: Recommendation;
  /** Build times are wall times at the load seen (`wall` says from what); see time-model.ts. */
  candidates: TimedCandidate[];
  fastPath: boolean;
  reuse: ReuseVerdict;
  durationMs: number;
  key: string;
  /** Whether the record reached the memory (a memory that is down costs the learning, not the answer). */
  stored: boolean;
  memoryError?: string;
  record: TuneRecord;
  fingerprint: HostFingerprint;
  /** The host's measured/predicted time factors the predictions were scaled by. */
  timeFactors: TimeFactors;
  /** The CPU contention the wall predictions were made for (null: not readable here). */
  load: CpuContention | null;
  /** The host's measured/predicted size factors the image predictions were scaled by. */
  sizeFactors: SizeFactors;
  treeSignature: TreeSignature;
  benchmark?: HostBenchmark;
  /** The build's baseline setting as measured (its label), when one was named and measurable. */
  baseline: string | null;
}

function memAvailable(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m?.[1]) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return freemem();
}

const MEASURABLE = new Set(['gzip', 'xz', 'zstd', 'lz4', 'lzo']);

/** What a script asked for, when it is a setting a sample run can reproduce. */
function askedExtra(options: readonly string[], threads: number): SquashChoice[] {
  const c = askedChoice(options, threads);
  return MEASURABLE.has(c.comp) && c.processors > 0 ? [c] : [];
}

/** optimization/parallel-config/<host>/tree-<log2 of bytes>-<dominant extension>. */
export function treeKey(fingerprintId: string, sig: TreeSignature): string {
  const top = Object.entries(sig.ext).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  const ext = top.replace(/[^A-Za-z0-9_-]/g, '') || 'none';
  return `${parallelConfigKey(fingerprintId)}/tree-${Math.round(Math.log2(Math.max(1, sig.bytes)))}-${ext}`;
}

/** A bus or store may hand back `{ key, value, updatedAt }`; tune wants the value. */
function unwrap(x: unknown): unknown {
  if (x && typeof x === 'object' && 'value' in x && 'key' in x && 'updatedAt' in x)
    return (x as { value: unknown }).value;
  return x;
}

function finish(
  record: TuneRecord,
  mode: Mode,
  treeBytes: number,
  fp: HostFingerprint,
  started: number,
  extra: {
    fastPath: boolean;
    reuse: ReuseVerdict;
    key: string;
    signature: TreeSignature;
    benchmark?: HostBenchmark;
    stored: boolean;
    memoryError?: string;
    factors: TimeFactors;
    baseline: string | null;
    calibration: unknown;
    seen: CpuContention | null;
    sizes: SizeFactors;
  },
): TuneResult {
  const candidates = applySizeFactors(
    applyTimeModel(predictAll(record.candidates, record.calibration, treeBytes), {
      calibration: extra.calibration,
      fingerprintId: fp.id,
      seen: extra.seen,
      sampleLoad: (record as { sampleLoad?: CpuContention }).sampleLoad ?? null,
      factors: extra.factors,
    }),
    extra.sizes,
  );
  const decision = choose(candidates, mode, extra.baseline ?? undefined);
  const picked = candidates.find((c) => c.label === decision.label) as PredictedCandidate;
  const recommendation = recommend(
    picked.choice,
    { threads: fp.threads, memAvailableBytes: memAvailable() },
    treeBytes,
  );
  return {
    choice: {
      label: picked.label,
      choice: picked.choice,
      mksquashfsOpts: recommendation.mksquashfsOpts,
      reason: decision.reason,
      predicted: picked.predicted,
    },
    decision,
    exports: formatExports(recommendation),
    env: exportEnv(recommendation),
    recommendation,
    candidates,
    fastPath: extra.fastPath,
    reuse: extra.reuse,
    durationMs: Math.round(performance.now() - started),
    key: extra.key,
    stored: extra.stored,
    ...(extra.memoryError ? { memoryError: extra.memoryError } : {}),
    record,
    fingerprint: fp,
    timeFactors: extra.factors,
    load: extra.seen,
    sizeFactors: extra.sizes,
    treeSignature: extra.signature,
    ...(extra.benchmark ? { benchmark: extra.benchmark } : {}),
    baseline: extra.baseline,
  };
}

export async function tune(opts: TuneOptions, memory: TuneMemory): Promise<TuneResult> {
  const started = performance.now();
  const mark = cpuMark();
  const mode = opts.mode ?? 'auto';
  const now = opts.now ?? (() => new Date());
  const [fp, scan] = await Promise.all([hostFingerprint(opts.buildDir ?? opts.target), scanTree(opts.target)]);
  const signature = treeSignature(scan);
  const key = opts.treeKeyed ? treeKey(fp.id, signature) : parallelConfigKey(fp.id);
  let memoryError: string | undefined;
  const stored = unwrap(
    await Promise.resolve()
      .then(() => memory.get(key))
      .catch((e: unknown) => {
        memoryError = `memory get failed: ${(e as Error).message}`;
        return undefined;
      }),
  );
  // Measured-vs-predicted pairs of earlier full builds on this host scale the time and size predictions.
  const calibration = unwrap(
    await Promise.resolve()
      .then(() => memory.get(calibrationKey(fp.id)))
      .catch(() => undefined),
  );
  const factors = timeFactors(calibration, fp.id);
  const sizes = sizeFactors(calibration, fp.id);
  const save = async (value: unknown): Promise<boolean> => {
    try {
      await memory.set(key, value);
      return true;
    } catch (e) {
      memoryError = `memory set failed: ${(e as Error).message}`;
      return false;
    }
  };
  const wantBcj = mode === 'conservative' || !!opts.bcj;
  const base = opts.baseline ? askedExtra(opts.baseline, fp.threads)[0] : undefined;
  const baseline = base ? choiceLabel(base) : null;
  const verdict = opts.force
    ? { reusable: false, reason: 'measurement forced' }
    : reuseVerdict(stored, signature, now(), opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS, fp.id);
  // The smallest image may be xz -Xbcj x86: a record that skipped it cannot answer that question.
  const reuse =
    verdict.reusable && wantBcj && (stored as TuneRecord).search?.bcj === 'skipped'
      ? { reusable: false, reason: 'the stored measurement skipped xz -Xbcj x86, which the smallest image needs' }
      : verdict.reusable && baseline && !(stored as TuneRecord).candidates.some((c) => c.label === baseline)
        ? { reusable: false, reason: `the stored measurement lacks the build's baseline ${baseline}` }
        : verdict;
  const benchmark = opts.benchmark ? await hostBenchmark({ scratchParent: opts.scratchParent }) : undefined;
  if (reuse.reusable) {
    const record = stored as TuneRecord;
    const ok = benchmark
      ? await save({ ...record, host: { fingerprint: fp, benchmark }, updatedAt: now().toISOString() })
      : true;
    return finish(record, mode, scan.totalBytes, fp, started, {
      fastPath: true,
      reuse,
      key,
      signature,
      benchmark,
      stored: ok,
      memoryError,
      factors,
      baseline,
      calibration,
      seen: loadSeen(mark, fp.threads || undefined, { callerPid: opts.callerPid }),
      sizes,
    });
  }
  const m = await measureCandidates({
    root: scan.root,
    scan,
    ...(opts.candidates ? { candidates: opts.candidates } : {}),
    nproc: fp.threads,
    scratchParent: opts.scratchParent,
    limits: opts.limits,
    repeatBelowMs: opts.repeatBelowMs,
    bcj: wantBcj,
    // Options without a compressor next to a baseline run the baseline's (measured as such), not gzip.
    ...(opts.asked && !(base && !opts.asked.includes('-comp')) ? { extra: askedExtra(opts.asked, fp.threads) } : {}),
    ...(base ? { baseline: base } : {}),
    sizeFactor: (comp) => sizeFactorFor(sizes, comp),
    onProgress: opts.onProgress,
  });
  // The load while the sample ran: its runs are observations of the slowdown too.
  const sampleLoad = loadSeen(mark, fp.threads || undefined, { callerPid: opts.callerPid, maxWindowMs: Infinity });
  const predicted = applySizeFactors(
    applyTimeModel(predictAll(m.runs, m.calibration, scan.totalBytes), {
      calibration,
      fingerprintId: fp.id,
      seen: sampleLoad,
      sampleLoad,
      factors,
    }),
    sizes,
  );
  const decision = choose(predicted, mode, baseline ?? undefined);
  const picked = predicted.find((c) => c.label === decision.label) as PredictedCandidate;
  const xz1m = predicted.find((c) => isXz1M(c.choice));
  const budgetMs = xz1m ? Math.round(xz1m.predicted.buildMs * TUNE_BUDGET) : null;
  const at = now().toISOString();
  const record: TuneRecord & {
    host: { fingerprint: HostFingerprint; benchmark?: HostBenchmark };
    sampleLoad: CpuContention;
  } = {
    fingerprintId: fp.id,
    treeSignature: signature,
    mode,
    candidates: predicted.map((c) => ({ ...c.run, predicted: c.predicted })),
    calibration: m.calibration,
    choice: { label: picked.label, mksquashfsOpts: mksquashfsArgs(picked.choice).join(' '), reason: decision.reason },
    predicted: picked.predicted,
    pruned: m.pruned,
    ...(m.steps.length ? { search: { steps: m.steps, ...(m.bcj ? { bcj: m.bcj } : {}) } } : {}),
    dedup: m.dedup,
    sample: {
      fraction: m.sample.fraction,
      files: m.sample.files,
      bytes: m.sample.bytes,
      subsampleBytes: m.subsample.bytes,
    },
    samplingMs: m.samplingMs,
    budget: {
      xz1mPredictedMs: xz1m?.predicted.buildMs ?? null,
      budgetMs,
      withinBudget: budgetMs === null ? null : m.samplingMs <= budgetMs,
    },
    measuredAt: at,
    updatedAt: at,
    host: { fingerprint: fp, ...(benchmark ? { benchmark } : {}) },
    sampleLoad,
  };
  const ok = await save(record);
  return finish(record, mode, scan.totalBytes, fp, started, {
    fastPath: false,
    reuse,
    key,
    signature,
    benchmark,
    stored: ok,
    memoryError,
    factors,
    baseline,
    calibration,
    seen: sampleLoad,
    sizes,
  });
}
