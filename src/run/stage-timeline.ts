// The build's stages as a timeline: marks (a script's `phase` calls, a builder's own stage lines)
// cut the build phase into stages; each stage gets its start, end and duration, and the Monitor's
// samples taken during it give its CPU (host and the build's tree) and the build's I/O.
import type { RunSample, RunStage } from '../schemas/run-record.js';

export interface Mark {
  name: string;
  at: number;
  source: string;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The build tree's cumulative I/O at or before `t` (the last sample not after it); 0 before the first. */
function ioAt(samples: readonly RunSample[], t: number): { read: number; write: number } | null {
  let best: RunSample | null = null;
  for (const s of samples) if (s.build && s.at <= t && (!best || s.at > best.at)) best = s;
  if (best?.build) return { read: best.build.readBytes, write: best.build.writeBytes };
  return samples.some((s) => s.build) ? { read: 0, write: 0 } : null;
}

export function stageTimeline(
  marks: readonly Mark[],
  buildStart: number,
  buildEnd: number,
  samples: readonly RunSample[],
): RunStage[] {
  const sorted = marks
    .filter((m) => Number.isFinite(m.at) && m.at <= buildEnd)
    .map((m) => ({ ...m, at: Math.max(m.at, buildStart) }))
    .sort((a, b) => a.at - b.at);
  return sorted.map((m, i) => {
    const end = i + 1 < sorted.length ? sorted[i + 1]!.at : buildEnd;
    // A sample describes the interval before it: the ones stamped inside (start, end] belong here.
    const inside = samples.filter((s) => s.at > m.at && s.at <= end);
    const build = inside.flatMap((s) => (s.build ? [s.build.cpuPct] : []));
    const a = ioAt(samples, m.at);
    const b = ioAt(samples, end);
    return {
      name: m.name,
      source: m.source,
      startedAt: new Date(m.at).toISOString(),
      endedAt: new Date(end).toISOString(),
      durationMs: end - m.at,
      samples: inside.length,
      hostCpuPct: mean(inside.map((s) => s.cpuPct)),
      buildCpuPct: mean(build),
      readBytes: a && b && inside.some((s) => s.build) ? Math.max(0, b.read - a.read) : null,
      writeBytes: a && b && inside.some((s) => s.build) ? Math.max(0, b.write - a.write) : null,
    };
  });
}
