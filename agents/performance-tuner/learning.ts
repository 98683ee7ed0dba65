// The learning contract: what a tune remembers under optimization/parallel-config/<fingerprint>, and
// when a later tune may reuse it instead of measuring again (same host, similar tree, not stale).
// The record keeps the raw sample measurements and calibration, not only the answer, so that any
// mode can be chosen from it later and predictions re-scale to the tree's current size.
import { type TreeSignature, similarTree } from '../../src/host/squashfs/tree-scan.js';
import { type Mode } from './choose.js';
import { type Calibration, type Prediction, type SampleRun } from './predict.js';

export const PARALLEL_CONFIG_PREFIX = 'optimization/parallel-config/';
export const DEFAULT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

export interface TuneRecord {
  fingerprintId: string;
  treeSignature: TreeSignature;
  mode: Mode;
  /** Raw measurements on the sample (the evidence), with what they predict for the tree. */
  candidates: (SampleRun & { predicted: Prediction })[];
  calibration: Calibration;
  /** Candidates a cheaper measurement ruled out, with the reason. */
  pruned: { label: string; reason: string }[];
  /** The search's steps (block-size probe, zstd level bisection), when the search chose what to measure. */
  search?: { steps: string[]; bcj?: 'measured' | 'skipped' | 'no machine code' };
  /** How much of the tree is duplicate content, as estimated from the sample. */
  dedup: { uniqueShare: number; hashedFiles: number; hashedBytes: number; complete: boolean };
  choice: { label: string; mksquashfsOpts: string; reason: string };
  predicted: Prediction;
  sample: { fraction: number; files: number; bytes: number; subsampleBytes: number };
  samplingMs: number;
  /** Predicted time of the reference xz -b 1M build, and the budget (TUNE_BUDGET, 5 %) sampling is held to. */
  budget: { xz1mPredictedMs: number | null; budgetMs: number | null; withinBudget: boolean | null };
  measuredAt: string;
  updatedAt: string;
}

export function parallelConfigKey(fingerprintId: string): string {
  return `${PARALLEL_CONFIG_PREFIX}${fingerprintId}`;
}

/** Structural check of a stored value: anything else (older shape, corrupt) is not reused. */
export function isTuneRecord(x: unknown): x is TuneRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as Partial<TuneRecord>;
  return (
    typeof r.fingerprintId === 'string' &&
    typeof r.measuredAt === 'string' &&
    !!r.treeSignature &&
    typeof r.treeSignature.bytes === 'number' &&
    typeof r.treeSignature.files === 'number' &&
    typeof r.treeSignature.ext === 'object' &&
    Array.isArray(r.candidates) &&
    r.candidates.length > 0 &&
    r.candidates.every(
      (c) => typeof c?.label === 'string' && typeof c.sampleBytes === 'number' && typeof c.wallMs === 'number',
    ) &&
    !!r.calibration &&
    typeof r.calibration.overheadMs === 'number'
  );
}

export interface ReuseVerdict {
  reusable: boolean;
  reason: string;
}

/** Whether `record` may answer for a tree with `signature` at `now` on the host `fingerprintId`. */
export function reuseVerdict(
  record: unknown,
  signature: TreeSignature,
  now: Date,
  maxAgeMs: number = DEFAULT_MAX_AGE_MS,
  fingerprintId?: string,
): ReuseVerdict {
  if (record === undefined || record === null) return { reusable: false, reason: 'nothing learned yet for this host' };
  if (!isTuneRecord(record)) return { reusable: false, reason: 'stored record has an unknown shape' };
  if (fingerprintId !== undefined && record.fingerprintId !== fingerprintId) {
    return { reusable: false, reason: `record is for host ${record.fingerprintId}, this is ${fingerprintId}` };
  }
  const age = now.getTime() - Date.parse(record.measuredAt);
  if (!Number.isFinite(age) || age < 0) return { reusable: false, reason: 'record has an invalid measuredAt' };
  if (age > maxAgeMs)
    return {
      reusable: false,
      reason: `stale: measured ${Math.round(age / 3.6e6)} h ago (max ${Math.round(maxAgeMs / 3.6e6)} h)`,
    };
  if (!similarTree(record.treeSignature, signature))
    return { reusable: false, reason: 'the tree changed materially since it was measured' };
  return { reusable: true, reason: `same host, similar tree, measured ${Math.round(age / 60000)} min ago` };
}

/** The fast-path decision: same host, similar tree, not stale. */
export function reusable(
  record: unknown,
  signature: TreeSignature,
  now: Date,
  maxAgeMs: number = DEFAULT_MAX_AGE_MS,
): boolean {
  return reuseVerdict(record, signature, now, maxAgeMs).reusable;
}
