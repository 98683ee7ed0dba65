// `patterns explain` for a host's time calibration: every measured-vs-predicted pair, and for the
// pairs of the load-aware model the error as reported then and as the model fitted on the earlier
// pairs would say it, so the calibration's error can be seen shrinking over runs.
import { formatDuration } from '../text/units.js';
import { calibrationHistory, loadPairs, type HistoryRow } from './wall-calibration.js';

type Rec = Record<string, unknown>;

const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)} %`);

export function calibrationLines(v: Rec): { summary: string; measurements: string[]; history: HistoryRow[] } {
  const m: string[] = [];
  for (const p of v.pairs as Rec[]) {
    const r = Number(p.measuredMs) / Math.max(1, Number(p.predictedMs));
    const cpu =
      typeof p.predictedCpuMs === 'number'
        ? `; CPU predicted ${formatDuration(p.predictedCpuMs)}, measured ${typeof p.cpuMs === 'number' ? formatDuration(p.cpuMs) : 'unknown'}; wall reported ${typeof p.predictedWallMs === 'number' ? formatDuration(p.predictedWallMs) : '-'} at load ${Number(p.load1).toFixed(1)} on ${String(p.nproc)} CPU(s), ${String(p.processors)} processor(s)`
        : '';
    m.push(
      `${String(p.at)} ${String(p.label)}: sample predicted ${formatDuration(Number(p.predictedMs))}, measured ${formatDuration(Number(p.measuredMs))} (x${r.toFixed(2)}, ${String(p.source)})${cpu}`,
    );
  }
  const history = calibrationHistory(loadPairs(v.pairs));
  if (history.length) {
    m.push('calibration error over runs (wall time; CPU calibrated and divided by the parallelism the load left):');
    for (const h of history)
      m.push(
        `  ${h.at} at load ${h.load1.toFixed(1)}: measured ${formatDuration(h.measuredMs)}; reported then ${h.reportedMs === null ? '-' : formatDuration(h.reportedMs)} (${pct(h.reportedError)} off); model on the ${h.earlierPairs} earlier pair(s) ${formatDuration(h.replayMs)} (${pct(h.replayError)} off)`,
      );
  }
  const trend = history.length >= 2 ? `; model error ${history.map((h) => pct(h.replayError)).join(' -> ')}` : '';
  return {
    summary: `time calibration of host ${String(v.fingerprintId)}: ${(v.pairs as unknown[]).length} measured-vs-predicted pairs, ${history.length} with CPU and load${trend}`,
    measurements: m,
    history,
  };
}
