// performance-improvements read back: a run compared with the earlier runs of the same name on this
// host (the memory is per host), phase by phase, with the reasons that are known: cache hits,
// tuning reused or changed, a different compressor.
export interface RunFacts {
  runId: string;
  name: string;
  durationMs: number;
  phases: Record<string, number>;
  cacheHits: number | null;
  tuning: string | null;
  compressor: string | null;
  exitCode: number | null;
}

export type PhaseComparison = {
  phase: string;
  ms: number;
  earlierMs: number;
  ratio: number;
  verdict: 'faster' | 'slower' | 'about the same';
};

export type RunComparison = {
  earlierRuns: number;
  against: string[];
  total: PhaseComparison;
  phases: PhaseComparison[];
  why: string[];
};

/** Changes under this share are noise on a shared machine. */
const SAME = 0.1;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function compare(phase: string, ms: number, earlier: number[]): PhaseComparison {
  const earlierMs = Math.round(median(earlier));
  const ratio = earlierMs > 0 ? ms / earlierMs : 1;
  const verdict = ratio < 1 - SAME ? 'faster' : ratio > 1 + SAME ? 'slower' : 'about the same';
  return { phase, ms, earlierMs, ratio: Math.round(ratio * 100) / 100, verdict };
}

/** null when there is no successful earlier run of this name to compare with. */
export function compareRuns(now: RunFacts, entries: unknown[], keep = 3): RunComparison | null {
  const earlier = (entries as Partial<RunFacts>[])
    .filter((e) => e.name === now.name && e.runId !== now.runId && e.exitCode === 0 && typeof e.durationMs === 'number')
    .slice(-keep) as RunFacts[];
  if (!earlier.length) return null;
  const phases: PhaseComparison[] = [];
  for (const [phase, ms] of Object.entries(now.phases)) {
    const before = earlier.map((e) => e.phases?.[phase]).filter((x): x is number => typeof x === 'number');
    if (before.length) phases.push(compare(phase, ms, before));
  }
  const last = earlier[earlier.length - 1]!;
  const why: string[] = [];
  if (
    now.cacheHits !== null &&
    last.cacheHits !== null &&
    last.cacheHits !== undefined &&
    now.cacheHits !== last.cacheHits
  )
    why.push(`apt cache hits: ${now.cacheHits} (last run ${last.cacheHits})`);
  if (now.tuning && last.tuning)
    why.push(
      now.tuning === last.tuning ? `tuning reused: ${now.tuning}` : `tuning changed: ${last.tuning} -> ${now.tuning}`,
    );
  if (now.compressor && last.compressor && now.compressor !== last.compressor)
    why.push(`compressor changed: ${last.compressor} -> ${now.compressor}`);
  return {
    earlierRuns: earlier.length,
    against: earlier.map((e) => e.runId),
    total: compare(
      'total',
      now.durationMs,
      earlier.map((e) => e.durationMs),
    ),
    phases,
    why,
  };
}

export function formatComparison(c: RunComparison, name: string): string[] {
  const pct = (p: PhaseComparison): string =>
    p.verdict === 'about the same' ? 'about the same' : `${Math.abs(Math.round((1 - p.ratio) * 100))} % ${p.verdict}`;
  if (c.earlierRuns === 0) return [`no earlier successful run of ${name} on this host to compare with`];
  return [
    `compared with the last ${c.earlierRuns} successful run${c.earlierRuns === 1 ? '' : 's'} of ${name} on this host (median):`,
    ...[c.total, ...c.phases].map(
      (p) => `${p.phase}: ${(p.ms / 1000).toFixed(1)} s vs ${(p.earlierMs / 1000).toFixed(1)} s, ${pct(p)}`,
    ),
    ...(c.why.length ? [`why: ${c.why.join('; ')}`] : []),
  ];
}
