// A stage of the build's timeline as display cells, shared by the Markdown and HTML reports and
// `report --compare`: offset from the build's start, duration, CPU (host, build tree) and I/O.
import type { RunStage } from '../schemas/run-record.js';
import { epoch, formatBytes, formatDuration, formatOffset, formatPct } from './format.js';

export interface StageCells {
  name: string;
  source: string;
  start: string;
  duration: string;
  hostCpu: string;
  buildCpu: string;
  read: string;
  written: string;
}

const orDash = (v: number | null, f: (n: number) => string): string => (v === null ? '–' : f(v));

export function stageCells(st: RunStage, t0: number): StageCells {
  return {
    name: st.name,
    source: st.source,
    start: `+${formatOffset((epoch(st.startedAt) ?? t0) - t0)}`,
    duration: formatDuration(st.durationMs),
    hostCpu: orDash(st.hostCpuPct, (n) => formatPct(n)),
    buildCpu: orDash(st.buildCpuPct, (n) => formatPct(n, 0)),
    read: orDash(st.readBytes, formatBytes),
    written: orDash(st.writeBytes, formatBytes),
  };
}

export const STAGE_HEAD = ['Stage', 'Start', 'Duration', 'Host CPU', 'Build CPU (1 core = 100 %)', 'Read', 'Written'];

export function stageRow(c: StageCells): string[] {
  return [c.name, c.start, c.duration, c.hostCpu, c.buildCpu, c.read, c.written];
}

/** Where the stages came from, in words. */
export function stageSources(stages: readonly RunStage[]): string {
  const src = [...new Set(stages.map((s) => s.source))];
  return src.map((s) => (s === 'phase' ? '`phase` calls of the build script' : `${s}'s own stage lines`)).join(' and ');
}
