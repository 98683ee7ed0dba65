// One line of the Monitor agent's sample: CPU, memory, load, disks and temp size (isoswarm monitor,
// and --monitor on long commands).
import { formatBytes } from './output.js';

export interface ResourceSample {
  at: number;
  cpuPct: number;
  memPct: number;
  load1: number;
  disks: { path: string; usedPct: number; freeBytes: number }[];
  temp: { path: string; bytes: number; files: number; complete: boolean } | null;
}

export function resourceLine(s: ResourceSample, alerts: string): string {
  const disks = s.disks.map((d) => `${d.path} ${d.usedPct.toFixed(1)}% (${formatBytes(d.freeBytes)} free)`).join(', ');
  const temp = s.temp
    ? ` | temp ${formatBytes(s.temp.bytes)}${s.temp.complete ? '' : '+'} in ${s.temp.files} files`
    : '';
  return `${new Date(s.at).toLocaleTimeString()} cpu ${s.cpuPct.toFixed(1)}% | mem ${s.memPct.toFixed(1)}% | load ${s.load1.toFixed(2)} | ${disks}${temp}${alerts}`;
}

/** The thresholds not at ok, as ` | WARN disk` parts of the line. */
export function alertsOf(thresholds: Record<string, { state: string }>): string {
  return Object.entries(thresholds)
    .filter(([, v]) => v.state !== 'ok')
    .map(([k, v]) => ` | ${v.state.toUpperCase()} ${k}`)
    .join('');
}
