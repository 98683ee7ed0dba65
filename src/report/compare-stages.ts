// `isoswarm report A --compare B`: two runs' build stages side by side, matched by name (a stage
// that repeats is matched by its occurrence), with each one's duration and the change from A to B.
import type { RunRecord, RunStage } from '../schemas/run-record.js';
import { epoch, formatDuration } from './format.js';

export interface StageComparison {
  stage: string;
  a: { durationMs: number; buildCpuPct: number | null } | null;
  b: { durationMs: number; buildCpuPct: number | null } | null;
  /** B's duration over A's (null when either is missing or A took no time). */
  ratio: number | null;
}

export interface RunComparison {
  a: { runId: string; name: string; buildMs: number | null };
  b: { runId: string; name: string; buildMs: number | null };
  stages: StageComparison[];
}

function keyed(stages: readonly RunStage[]): [string, RunStage][] {
  const seen = new Map<string, number>();
  return stages.map((s) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return [n > 1 ? `${s.name} #${n}` : s.name, s];
  });
}

function buildMs(r: RunRecord): number | null {
  const b = r.phases.find((p) => p.name === 'build');
  const a = epoch(b?.startedAt);
  const e = epoch(b?.endedAt);
  return a !== null && e !== null ? e - a : null;
}

export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const ka = keyed(a.stages ?? []);
  const kb = new Map(keyed(b.stages ?? []));
  const names = [...ka.map(([k]) => k), ...[...kb.keys()].filter((k) => !ka.some(([x]) => x === k))];
  const am = new Map(ka);
  const stages = names.map((stage) => {
    const sa = am.get(stage);
    const sb = kb.get(stage);
    const pick = (s: RunStage | undefined) => (s ? { durationMs: s.durationMs, buildCpuPct: s.buildCpuPct } : null);
    return {
      stage,
      a: pick(sa),
      b: pick(sb),
      ratio: sa && sb && sa.durationMs > 0 ? sb.durationMs / sa.durationMs : null,
    };
  });
  return {
    a: { runId: a.runId, name: a.name, buildMs: buildMs(a) },
    b: { runId: b.runId, name: b.name, buildMs: buildMs(b) },
    stages,
  };
}

export function comparisonMd(c: RunComparison, code: (v: unknown) => string): string {
  const d = (v: { durationMs: number } | null) => (v ? formatDuration(v.durationMs) : '–');
  const rows = c.stages.map((s) => [s.stage, d(s.a), d(s.b), s.ratio === null ? '–' : `${s.ratio.toFixed(2)}×`]);
  const total = (ms: number | null) => (ms === null ? '–' : formatDuration(ms));
  const ratio = c.a.buildMs && c.b.buildMs ? `${(c.b.buildMs / c.a.buildMs).toFixed(2)}×` : '–';
  rows.push(['(whole build)', total(c.a.buildMs), total(c.b.buildMs), ratio]);
  const lines = [
    `# Stages: ${code(c.a.runId)} (A) vs ${code(c.b.runId)} (B)`,
    '',
    '| Stage | A | B | B / A |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  if (!c.stages.length)
    lines.push('Neither run recorded build stages (`phase NAME` calls or a builder’s stage lines).', '');
  return lines.join('\n');
}
