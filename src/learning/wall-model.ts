// Pure: a build's wall time from its predicted CPU time and the CPU it can get when it starts.
// With `p` processors asked on `n` online CPUs (less the steal share) and a 1-minute load average L
// of other work, fair sharing gives each runnable thread n/(L+p) of a CPU once L+p exceeds n, so the
// build runs slower than its ideal CPU/p by the excess x = max(0, (L+p)/n - 1). The load average
// also counts tasks waiting on I/O and cgroups share by group, not by thread, so the slowdown is
// fitted as s = a + b·x from the host's measured builds (wall·p/CPU against x at their start), pulled
// toward the fair-share prior a = 1, b = 1 by a ridge term that the data outweigh after a few pairs.

export interface LoadSeen {
  nproc: number;
  /** Other work the build competes with: the recent busy CPUs of others when known, else load1. */
  load1: number;
  stealShare: number;
}

/** One measured build (or sample run): its CPU and wall time, processors asked and the load at its start. */
export interface LoadObservation extends LoadSeen {
  cpuMs: number;
  wallMs: number;
  processors: number;
  /** Weight in the fit (a full build 1; a sample run less: small runs parallelize worse). */
  weight: number;
}

export interface SlowdownFit {
  a: number;
  b: number;
  /** Sum of the observations' weights behind the fit (0: the prior alone). */
  weight: number;
}

export interface WallPrediction {
  wallMs: number;
  /** Processors the build can use: min(asked, CPUs not stolen). */
  usable: number;
  excess: number;
  slowdown: number;
  /** CPU seconds per wall second the build is expected to get. */
  effParallelism: number;
}

export const PRIOR: SlowdownFit = { a: 1, b: 1, weight: 0 };
/** Ridge weights of the prior (in observations); b's is per unit of x², so data at high load decide it. */
const PRIOR_WEIGHT_A = 0.5;
const PRIOR_WEIGHT_B = 0.5;
const A_RANGE: [number, number] = [0.5, 4];
const B_RANGE: [number, number] = [0, 3];

const clamp = (x: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, x));

export function usableProcessors(processors: number, s: LoadSeen): number {
  const cpus = Math.max(0.1, s.nproc * (1 - clamp(s.stealShare, [0, 0.95])));
  return Math.max(0.1, Math.min(processors > 0 ? processors : s.nproc, cpus));
}

/** How far the runnable work would exceed the CPUs once this build starts (0: room for all of it). */
export function loadExcess(processors: number, s: LoadSeen): number {
  const cpus = Math.max(0.1, s.nproc * (1 - clamp(s.stealShare, [0, 0.95])));
  return Math.max(0, (Math.max(0, s.load1) + usableProcessors(processors, s)) / cpus - 1);
}

/** The slowdown an observation shows: its wall time over its ideal CPU/usable processors. */
export function observedSlowdown(o: LoadObservation): number | null {
  if (!(o.cpuMs > 0 && o.wallMs > 0)) return null;
  return (o.wallMs * usableProcessors(o.processors, o)) / o.cpuMs;
}

/** Weighted ridge fit of s = a + b·x toward the prior; the prior alone without observations. */
export function fitSlowdown(obs: readonly LoadObservation[]): SlowdownFit {
  let sw = PRIOR_WEIGHT_A;
  let swx = 0;
  let swxx = PRIOR_WEIGHT_B;
  let sws = PRIOR_WEIGHT_A * PRIOR.a;
  let swxs = PRIOR_WEIGHT_B * PRIOR.b;
  let weight = 0;
  for (const o of obs) {
    const s = observedSlowdown(o);
    if (s === null || !(o.weight > 0)) continue;
    const x = loadExcess(o.processors, o);
    sw += o.weight;
    swx += o.weight * x;
    swxx += o.weight * x * x;
    sws += o.weight * s;
    swxs += o.weight * x * s;
    weight += o.weight;
  }
  const det = sw * swxx - swx * swx;
  if (weight === 0 || Math.abs(det) < 1e-12) return PRIOR;
  const a = (sws * swxx - swx * swxs) / det;
  const b = (sw * swxs - swx * sws) / det;
  // Clamping one parameter refits the other to the data at that value.
  const bc = clamp(b, B_RANGE);
  const ac = clamp(bc === b ? a : (sws - bc * swx) / sw, A_RANGE);
  return { a: round3(ac), b: round3(bc), weight: round3(weight) };
}

export function predictWall(cpuMs: number, processors: number, s: LoadSeen, fit: SlowdownFit): WallPrediction {
  const usable = usableProcessors(processors, s);
  const excess = loadExcess(processors, s);
  // Never faster than the ideal: a fit from few pairs must not promise more than p CPUs.
  const slowdown = Math.max(1, fit.a + fit.b * excess);
  return {
    wallMs: Math.round((cpuMs / usable) * slowdown),
    usable: round3(usable),
    excess: round3(excess),
    slowdown: round3(slowdown),
    effParallelism: round3(usable / slowdown),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Median of measured/predicted CPU ratios (the sample's CPU misjudging the full build's), clamped.
 * The sample's own prediction is one more vote (ratio 1): the CPU time of identical short builds
 * moves by 20 % and more, so one or two builds should not move the factor all the way.
 */
export function cpuFactorOf(pairs: readonly { predictedCpuMs: number; measuredCpuMs: number }[]): {
  factor: number;
  pairs: number;
} {
  const measured = pairs
    .filter((p) => p.predictedCpuMs > 0 && p.measuredCpuMs > 0)
    .map((p) => p.measuredCpuMs / p.predictedCpuMs);
  if (measured.length === 0) return { factor: 1, pairs: 0 };
  const r = [...measured, 1].sort((x, y) => x - y);
  const m = Math.floor(r.length / 2);
  const med = r.length % 2 ? (r[m] as number) : ((r[m - 1] as number) + (r[m] as number)) / 2;
  return { factor: round3(clamp(med, [0.33, 3])), pairs: measured.length };
}
