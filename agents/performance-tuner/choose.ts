// Pure: picks a candidate from the predictions by what the user values.
//   conservative — the smallest predicted image. Candidates within 0.5 % of the smallest count as
//                  tied (that is below the sampling error), and the fastest of those wins, so data
//                  that does not compress (already-compressed payloads) is not sent through xz.
//   aggressive   — the fastest build whose predicted image is at most +25 % over the reference:
//                  the build's own baseline when the caller names it (the setting that would run
//                  otherwise: live-build's -comp xz at 128 KiB or its config's compression, a
//                  script's own -comp), else xz -b 1M (the common distro setting, which is what
//                  the speed-up is measured against without a baseline). Both sizes come from
//                  runs on one sample, so the allowance is shrunk only by the error of a ratio
//                  between two such runs (REFERENCE_MARGIN, 2 %). Without either measurement:
//                  +25 % over the smallest, less the size prediction's uncertainty
//                  (SIZE_UNCERTAINTY, 3 %).
//   auto         — the lowest total cost in seconds, with documented weights (AUTO_WEIGHTS):
//                  build seconds + 3 × read-back seconds (every boot decompresses what it reads;
//                  three boots is a modest lifetime) + 0.1 s per MiB of image (writing, copying or
//                  downloading it once at ~10 MiB/s). All three terms grow with the tree, so the
//                  choice does not depend on the tree's size, only on its data and the host.
import { isXz1M } from './candidates.js';
import { type PredictedCandidate } from './predict.js';

export type Mode = 'auto' | 'conservative' | 'aggressive';

export const MODES: readonly Mode[] = ['auto', 'conservative', 'aggressive'];

export const AUTO_WEIGHTS = { buildSeconds: 1, readBackSeconds: 3, secondsPerMiB: 0.1 } as const;
export const SIZE_TIE = 0.005;
export const AGGRESSIVE_ALLOWANCE = 0.25;
export const SIZE_UNCERTAINTY = 0.03;
/**
 * Error of an image-size ratio between two settings measured on the same sample (not of one size):
 * zstd-3/xz -b 1M on a /usr/lib copy came out 1.8 % low on average, spread 1.3 %, over five seeds.
 * Not wider: on binaries zstd levels 7..15 give nearly one size, and a bound below it costs level 16.
 */
export const REFERENCE_MARGIN = 0.02;

export interface Decision {
  label: string;
  mode: Mode;
  reason: string;
  /** Per-candidate score used (auto: seconds; others: the metric compared). */
  scores: Record<string, number>;
}

export function autoCost(c: PredictedCandidate): number {
  const p = c.predicted;
  return (
    (p.buildMs / 1000) * AUTO_WEIGHTS.buildSeconds +
    (p.readBackMs / 1000) * AUTO_WEIGHTS.readBackSeconds +
    (p.imageBytes / 2 ** 20) * AUTO_WEIGHTS.secondsPerMiB
  );
}

function fastest(list: PredictedCandidate[]): PredictedCandidate {
  // Ties on time (equal milliseconds) go to the smaller image, then to the label for determinism.
  return [...list].sort(
    (a, b) =>
      a.predicted.buildMs - b.predicted.buildMs ||
      a.predicted.imageBytes - b.predicted.imageBytes ||
      (a.label < b.label ? -1 : 1),
  )[0] as PredictedCandidate;
}

/** baseline: the label of the build's own setting, when it was measured (anchors aggressive). */
export function choose(cands: PredictedCandidate[], mode: Mode, baseline?: string): Decision {
  if (cands.length === 0) throw new Error('no candidates to choose from');
  const smallest = Math.min(...cands.map((c) => c.predicted.imageBytes));
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  if (mode === 'conservative') {
    const tied = cands.filter((c) => c.predicted.imageBytes <= smallest * (1 + SIZE_TIE));
    const pick = fastest(tied);
    const scores = Object.fromEntries(cands.map((c) => [c.label, c.predicted.imageBytes]));
    const also = tied.length > 1 ? `; ${tied.length} candidates within ${SIZE_TIE * 100} % of it, fastest taken` : '';
    return { label: pick.label, mode, scores, reason: `smallest predicted image ${mib(smallest)} MiB${also}` };
  }
  if (mode === 'aggressive') {
    const base = baseline === undefined ? undefined : cands.find((c) => c.label === baseline);
    const xz = base ?? cands.find((c) => isXz1M(c.choice));
    const limit = xz
      ? (xz.predicted.imageBytes * (1 + AGGRESSIVE_ALLOWANCE)) / (1 + REFERENCE_MARGIN)
      : (smallest * (1 + AGGRESSIVE_ALLOWANCE)) / (1 + SIZE_UNCERTAINTY);
    const pick = fastest(cands.filter((c) => c.predicted.imageBytes <= limit));
    const scores = Object.fromEntries(cands.map((c) => [c.label, c.predicted.buildMs]));
    const anchor = xz
      ? `+25 % of ${base ? `the build's baseline ${base.label}` : 'xz -b 1M'} ${mib(xz.predicted.imageBytes)} MiB, less ${REFERENCE_MARGIN * 100} % margin`
      : `+25 % of the smallest ${mib(smallest)} MiB, less ${SIZE_UNCERTAINTY * 100} % prediction margin`;
    return {
      label: pick.label,
      mode,
      scores,
      reason: `fastest predicted build (${pick.predicted.buildMs} ms) with image <= ${mib(limit)} MiB (${anchor})`,
    };
  }
  const scores = Object.fromEntries(cands.map((c) => [c.label, Math.round(autoCost(c) * 1000) / 1000]));
  const pick = [...cands].sort(
    (a, b) => autoCost(a) - autoCost(b) || (a.label < b.label ? -1 : 1),
  )[0] as PredictedCandidate;
  return {
    label: pick.label,
    mode,
    scores,
    reason: `lowest cost ${scores[pick.label]} s = build s + ${AUTO_WEIGHTS.readBackSeconds} x read-back s + ${AUTO_WEIGHTS.secondsPerMiB} s/MiB of image`,
  };
}
