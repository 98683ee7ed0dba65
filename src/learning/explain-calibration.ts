// `patterns explain` for a host's time calibration: every measured-vs-predicted pair, and for the
// pairs of the load-aware model the error as reported then and as the model fitted on the earlier
// pairs would say it, so the calibration's error can be seen shrinking over runs.
import { formatBytes, formatDuration } from '../text/units.js';
import { medianSizeFactor } from './size-factor.js';
import { calibrationHistory, loadPairs, type HistoryRow } from './wall-calibration.js';

type Rec = Record<string, unknown>;

const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)} %`);

export function calibrationLines(v: Rec): { summary: string; measurements: string[]; history: HistoryRow[] } {
  const m: string[] = [];
  const sizes: Record<string, number[]> = {};
  for (const p of v.pairs as Rec[]) {
    const r = Number(p.measuredMs) / Math.max(1, Number(p.predictedMs));
    const pb = Number(p.predictedBytes);
    const sr = pb > 0 && Number(p.measuredBytes) > 0 ? Number(p.measuredBytes) / pb : null;
    if (sr !== null) (sizes[String(p.comp)] ??= []).push(sr);
    const size =
      sr === null
        ? ''
        : `; image predicted ${formatBytes(pb)}, measured ${formatBytes(Number(p.measuredBytes))}, x${sr.toFixed(3)}`;
    const cpu =
      typeof p.predictedCpuMs === 'number'
        ? `; CPU predicted ${formatDuration(p.predictedCpuMs)}, measured ${typeof p.cpuMs === 'number' ? formatDuration(p.cpuMs) : 'unknown'}; wall reported ${typeof p.predictedWallMs === 'number' ? formatDuration(p.predictedWallMs) : '-'} at ${typeof p.recentLoad === 'number' ? `other work ${p.recentLoad.toFixed(2)} CPU(s) over ${formatDuration(Number(p.loadWindowMs ?? 0))} before it (load1 ${Number(p.load1).toFixed(1)})` : `load ${Number(p.load1).toFixed(1)}`} on ${String(p.nproc)} CPU(s), ${String(p.processors)} processor(s)`
        : '';
    m.push(
      `${String(p.at)} ${String(p.label)}: sample predicted ${formatDuration(Number(p.predictedMs))}, measured ${formatDuration(Number(p.measuredMs))} (x${r.toFixed(2)}${size}, ${String(p.source)})${cpu}`,
    );
  }
  // The size factor the next choice uses per compressor (size-calibration.ts: median, clamped).
  const factors = Object.entries(sizes).map(
    ([comp, rs]) => `${comp} x${(medianSizeFactor(rs) ?? 1).toFixed(3)} (${rs.length} pairs)`,
  );
  if (factors.length) m.unshift(`image size factor per compressor (median measured/predicted): ${factors.join(', ')}`);
  const history = calibrationHistory(loadPairs(v.pairs));
  if (history.length) {
    m.push('calibration error over runs (wall time; CPU calibrated and divided by the parallelism the load left):');
    for (const h of history)
      m.push(
        `  ${h.at} at ${h.basis === 'recent' ? `other work ${h.load.toFixed(2)} CPU(s)` : `load ${h.load1.toFixed(1)}`}: measured ${formatDuration(h.measuredMs)}; reported then ${h.reportedMs === null ? '-' : formatDuration(h.reportedMs)} (${pct(h.reportedError)} off); model on the ${h.earlierPairs} earlier pair(s) ${formatDuration(h.replayMs)} (${pct(h.replayError)} off)`,
      );
  }
  const trend = history.length >= 2 ? `; model error ${history.map((h) => pct(h.replayError)).join(' -> ')}` : '';
  return {
    summary: `time and size calibration of host ${String(v.fingerprintId)}: ${(v.pairs as unknown[]).length} measured-vs-predicted pairs, ${history.length} with CPU and load${trend}`,
    measurements: m,
    history,
  };
}
