// mksquashfs calls seen by the shim: what the script asked, what ran, what the tuner predicted and
// what was measured. Kept under runs/<run id>/squashfs-calls for the run report; every measured
// build also becomes a measured-vs-predicted pair of the host's time calibration.
import { randomBytes } from 'node:crypto';
import { choiceLabel } from '../../src/host/squashfs/mksquashfs.js';
import { addPair, calibrationKey, pairAppend, type MeasuredPair } from './calibration.js';
import { type Mode } from './choose.js';
import { type Prediction } from './predict.js';
import { applyPolicy, askedChoice, parseCall, type SquashPolicy } from './squashfs-policy.js';
import { type WallBasis } from './time-model.js';
import { type TuneMemory, type TuneResult } from './tune.js';

export interface SquashCall {
  callId: string;
  runId: string | null;
  at: string;
  source: string | null;
  asked: string[];
  ran: string[];
  policy: SquashPolicy;
  mode: Mode;
  changed: string[];
  tuned: {
    label: string;
    mksquashfsOpts: string;
    reason: string;
    fastPath: boolean;
    reuse: string;
    tuneMs: number;
    key: string;
  } | null;
  /** Prediction for what ran, when that setting was measured on the sample. */
  /** time/sizeFactor: the host's factors already in buildMs/imageBytes (pairs store the prediction before them). */
  /** buildMs is the wall time at the load seen then; `wall` holds the CPU prediction and load behind it. */
  predicted: {
    label: string;
    buildMs: number;
    imageBytes: number;
    timeFactor?: number;
    cpuMs?: number | null;
    wall?: WallBasis;
    sizeFactor?: number;
  } | null;
  /** Predicted for what the script asked vs the tuned choice (both measured on the sample). */
  whatIf: {
    askedLabel: string;
    askedMs: number | null;
    askedBytes: number | null;
    tunedMs: number;
    tunedBytes: number;
    note: string;
  } | null;
  measured: { wallMs: number; cpuMs: number | null; imageBytes: number | null; exitCode: number } | null;
  cacheSuspended: string[];
  /** The build's own setting (label) that anchored aggressive's size bound, when the shim named one. */
  baseline?: string | null;
  note?: string;
}

export function callsKey(runId: string | null): string {
  return `runs/${runId ?? 'unattached'}/squashfs-calls`;
}

function list(x: unknown): SquashCall[] {
  const v = x && typeof x === 'object' && 'value' in x && 'key' in x ? (x as { value: unknown }).value : x;
  return Array.isArray(v) ? (v as SquashCall[]) : [];
}

/** Calls kept per run. */
const MAX_CALLS = 1000;

export async function saveCall(memory: TuneMemory, call: SquashCall): Promise<void> {
  const key = callsKey(call.runId);
  if (memory.append) {
    await memory.append(key, { item: call, max: MAX_CALLS, replaceBy: 'callId' });
    return;
  }
  const prev = list(await memory.get(key)).filter((c) => c.callId !== call.callId);
  await memory.set(key, [...prev, call].slice(-MAX_CALLS));
}

export async function loadCalls(memory: TuneMemory, runId: string | null): Promise<SquashCall[]> {
  return list(await memory.get(callsKey(runId)));
}

export function newCall(runId: string | null, args: string[], policy: SquashPolicy, mode: Mode): SquashCall {
  return {
    callId: `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    runId,
    at: new Date().toISOString(),
    source: parseCall(args).sources[0] ?? null,
    asked: args,
    ran: args,
    policy,
    mode,
    changed: [],
    tuned: null,
    predicted: null,
    whatIf: null,
    measured: null,
    cacheSuspended: [],
  };
}

const pick = (r: TuneResult, label: string): Prediction | undefined =>
  r.candidates.find((c) => c.label === label)?.predicted;
const factorOf = (r: TuneResult, label: string): number | undefined =>
  r.candidates.find((c) => c.label === label)?.timeFactor;
const wallOf = (r: TuneResult, label: string): WallBasis | undefined =>
  r.candidates.find((c) => c.label === label)?.wall;
const sizeFactorOf = (r: TuneResult, label: string): number | undefined =>
  r.candidates.find((c) => c.label === label)?.sizeFactor;

/**
 * Fills in what runs and what was predicted, from a tune of the call's source tree. `baseline`: the
 * options the builder adds itself where the call names no compressor (live-build's -comp xz), so the
 * prediction and the what-if are for what really runs, not for mksquashfs's own gzip default.
 */
export function decideCall(
  call: SquashCall,
  r: TuneResult,
  memBytes: number,
  baseline?: readonly string[],
): SquashCall {
  const threads = r.fingerprint.threads;
  const applied = applyPolicy(call.asked, r.choice.choice, call.policy, memBytes);
  const runs = (opts: string[]) => (baseline && !opts.includes('-comp') ? [...baseline, ...opts] : opts);
  const asked = choiceLabel(askedChoice(runs(parseCall(call.asked).options), threads));
  const ranLabel = choiceLabel(askedChoice(runs(parseCall(applied.args).options), threads));
  const ran = pick(r, ranLabel);
  const a = pick(r, asked);
  const t = r.choice.predicted;
  return {
    ...call,
    ran: applied.args,
    changed: applied.changed,
    baseline: r.baseline,
    tuned: {
      label: r.choice.label,
      mksquashfsOpts: r.choice.mksquashfsOpts,
      reason: r.choice.reason,
      fastPath: r.fastPath,
      reuse: r.reuse.reason,
      tuneMs: r.durationMs,
      key: r.key,
    },
    predicted: ran
      ? {
          label: ranLabel,
          buildMs: ran.buildMs,
          imageBytes: ran.imageBytes,
          ...(factorOf(r, ranLabel) ? { timeFactor: factorOf(r, ranLabel) } : {}),
          ...(wallOf(r, ranLabel) ? { cpuMs: wallOf(r, ranLabel)?.cpuMs, wall: wallOf(r, ranLabel) } : {}),
          ...(sizeFactorOf(r, ranLabel) ? { sizeFactor: sizeFactorOf(r, ranLabel) } : {}),
        }
      : null,
    whatIf: {
      askedLabel: asked,
      askedMs: a?.buildMs ?? null,
      askedBytes: a?.imageBytes ?? null,
      tunedMs: t.buildMs,
      tunedBytes: t.imageBytes,
      note: a
        ? `asked ${asked}: predicted ${a.buildMs} ms / ${a.imageBytes} B; tuned ${r.choice.label}: ${t.buildMs} ms / ${t.imageBytes} B`
        : `asked ${asked} was not among the settings measured on the sample`,
    },
  };
}

/** Records the measured build beside the prediction, and as a calibration pair of this host. */
export async function reportCall(
  memory: TuneMemory,
  call: SquashCall,
  measured: NonNullable<SquashCall['measured']>,
  fingerprintId: string | null,
): Promise<SquashCall> {
  const done = { ...call, measured };
  if (fingerprintId && call.predicted && measured.exitCode === 0) {
    const key = calibrationKey(fingerprintId);
    const w = call.predicted.wall;
    const pair: MeasuredPair = {
      label: call.predicted.label,
      comp: call.predicted.label.split(/[-/]/)[0] ?? 'unknown',
      // Before the host's factor: the next factor is measured against the sample's own prediction.
      predictedMs: w ? w.sampleWallMs : Math.round(call.predicted.buildMs / (call.predicted.timeFactor ?? 1)),
      measuredMs: measured.wallMs,
      predictedBytes: Math.round(call.predicted.imageBytes / (call.predicted.sizeFactor ?? 1)),
      measuredBytes: measured.imageBytes ?? 0,
      cpuMs: measured.cpuMs,
      at: new Date().toISOString(),
      source: `mksquashfs shim, run ${call.runId ?? '-'}`,
      // The load model's evidence: what the sample predicted in CPU, and the load the build met.
      ...(w
        ? {
            predictedCpuMs: w.rawCpuMs,
            predictedWallMs: call.predicted.buildMs,
            processors: w.processors,
            nproc: w.nproc,
            load1: w.load1,
            stealShare: w.stealShare,
            ...(w.procsRunning !== undefined ? { procsRunning: w.procsRunning, idleShare: w.idleShare ?? null } : {}),
            ...(typeof w.recentLoad === 'number' ? { recentLoad: w.recentLoad, loadWindowMs: w.loadWindowMs } : {}),
          }
        : {}),
    };
    if (memory.append) await memory.append(key, pairAppend(fingerprintId, pair));
    else {
      const prev = await Promise.resolve(memory.get(key)).catch(() => undefined);
      const v =
        prev && typeof prev === 'object' && 'value' in prev && 'key' in prev
          ? (prev as { value: unknown }).value
          : prev;
      await memory.set(key, addPair(v, fingerprintId, pair));
    }
  }
  await saveCall(memory, done);
  return done;
}
