// The bare-tool what-if of a run: for each mksquashfs call whose asked setting was measured on the
// sample (the shim's what-if), what the call as the script wrote it was predicted to take beside what
// the tuned call was predicted to take and took. Part of the run's comparison even for a first run.
import type { PhaseComparison, RunComparison } from './run-compare.js';

export interface WhatIfCall {
  askedLabel: string;
  ranLabel: string;
  /** Predicted on the sample for the asked setting and for what ran, and what ran measured. */
  askedMs: number;
  ranPredictedMs: number;
  ranMeasuredMs: number | null;
  askedBytes: number | null;
  ranBytes: number | null;
}

export interface BareWhatIf {
  calls: WhatIfCall[];
  /** Sum over the calls: the asked settings' predicted time less what ran (measured, else predicted). */
  savedMs: number;
}

interface CallLike {
  whatIf?: { askedLabel?: string; askedMs?: number | null; askedBytes?: number | null } | null;
  predicted?: { label?: string; buildMs?: number; imageBytes?: number } | null;
  measured?: { wallMs?: number; imageBytes?: number | null; exitCode?: number } | null;
}

/** null when no call's asked setting was measured on a sample. */
export function bareWhatIf(calls: unknown): BareWhatIf | null {
  if (!Array.isArray(calls)) return null;
  const out: WhatIfCall[] = [];
  for (const c of calls as CallLike[]) {
    const w = c?.whatIf;
    const p = c?.predicted;
    if (!w || typeof w.askedMs !== 'number' || !p || typeof p.buildMs !== 'number') continue;
    const ok = c.measured && c.measured.exitCode === 0 && typeof c.measured.wallMs === 'number';
    out.push({
      askedLabel: String(w.askedLabel ?? '?'),
      ranLabel: String(p.label ?? '?'),
      askedMs: w.askedMs,
      ranPredictedMs: p.buildMs,
      ranMeasuredMs: ok ? (c.measured?.wallMs as number) : null,
      askedBytes: typeof w.askedBytes === 'number' ? w.askedBytes : null,
      ranBytes: ok && typeof c.measured?.imageBytes === 'number' ? c.measured.imageBytes : null,
    });
  }
  if (!out.length) return null;
  return { calls: out, savedMs: out.reduce((n, c) => n + c.askedMs - (c.ranMeasuredMs ?? c.ranPredictedMs), 0) };
}

/** The comparison with the what-if added; a run with no earlier run of its name gets one for the what-if alone. */
export type ComparisonWithWhatIf = RunComparison & { bareWhatIf?: BareWhatIf };

export function withWhatIf(
  c: RunComparison | null,
  w: BareWhatIf | null,
  durationMs: number,
): ComparisonWithWhatIf | null {
  if (!w) return c;
  if (c) return { ...c, bareWhatIf: w };
  const total: PhaseComparison = {
    phase: 'total',
    ms: durationMs,
    earlierMs: durationMs,
    ratio: 1,
    verdict: 'about the same',
  };
  return { earlierRuns: 0, against: [], total, phases: [], why: [], bareWhatIf: w };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatWhatIf(w: BareWhatIf): string[] {
  return [
    `the bare tool as asked (predicted from the sample) against what ran: ${w.savedMs >= 0 ? `${s(w.savedMs)} saved` : `${s(-w.savedMs)} lost`}`,
    ...w.calls.map(
      (c) =>
        `mksquashfs ${c.askedLabel}: predicted ${s(c.askedMs)}${c.askedBytes !== null ? `, ${mib(c.askedBytes)}` : ''}; ran ${c.ranLabel}: predicted ${s(c.ranPredictedMs)}, ${c.ranMeasuredMs === null ? 'not measured' : `measured ${s(c.ranMeasuredMs)}`}${c.ranBytes !== null ? `, ${mib(c.ranBytes)}` : ''}`,
    ),
  ];
}
