// The run report's mksquashfs section: every call the shim saw, what the build asked for, what
// ran, the tuner's prediction next to the measurement, and the what-if saving from the sample.
import { formatBytes, formatChange, formatDuration } from './format.js';

interface Call {
  asked: string[];
  ran: string[];
  policy: string;
  changed: string[];
  tuned: { label: string; fastPath: boolean; reuse: string; tuneMs: number } | null;
  predicted: {
    label: string;
    buildMs: number;
    imageBytes: number;
    wall?: {
      cpuMs: number;
      load1: number;
      nproc: number;
      processors: number;
      effParallelism: number;
      recentLoad?: number;
      loadWindowMs?: number;
    };
  } | null;
  whatIf: { note: string } | null;
  measured: { wallMs: number; cpuMs: number | null; imageBytes: number | null; exitCode: number } | null;
  cacheSuspended: string[];
  note?: string;
}

export function squashfsCallsMd(calls: unknown, code: (v: unknown) => string, text: (v: unknown) => string): string[] {
  if (!Array.isArray(calls) || calls.length === 0) return [];
  const out = ['### mksquashfs calls (through the shim)', ''];
  (calls as Call[]).forEach((c, i) => {
    out.push(
      `${i + 1}. policy ${text(c.policy)}${c.tuned ? `; tuned ${code(c.tuned.label)} (${c.tuned.fastPath ? `measurement reused: ${text(c.tuned.reuse)}` : `sampled now in ${formatDuration(c.tuned.tuneMs)}`})` : ''}${c.note ? `; ${text(c.note)}` : ''}`,
    );
    out.push(`   - asked: ${code(c.asked.join(' '))}`);
    out.push(`   - ran: ${code(c.ran.join(' '))}${c.changed.length ? ` (${text(c.changed.join('; '))})` : ''}`);
    const m = c.measured;
    const p = c.predicted;
    if (m) {
      const time = p
        ? `predicted ${formatDuration(p.buildMs)}, measured ${formatDuration(m.wallMs)} (${formatChange(p.buildMs, m.wallMs)})`
        : `measured ${formatDuration(m.wallMs)} (no prediction for this setting)`;
      const size =
        m.imageBytes === null
          ? 'image size unknown'
          : p
            ? `image predicted ${formatBytes(p.imageBytes)}, measured ${formatBytes(m.imageBytes)}`
            : `image ${formatBytes(m.imageBytes)}`;
      const w = p?.wall;
      const cpu = `CPU ${w ? `predicted ${formatDuration(w.cpuMs)}, measured ` : ''}${m.cpuMs === null ? 'unknown' : formatDuration(m.cpuMs)}`;
      out.push(`   - ${time}; ${cpu}; ${size}; exit ${m.exitCode}`);
      if (w)
        out.push(
          `   - wall predicted for ${typeof w.recentLoad === 'number' ? `other work of ${w.recentLoad.toFixed(2)} CPU(s) over the last ${((w.loadWindowMs ?? 0) / 1000).toFixed(1)} s (load1 ${w.load1.toFixed(1)})` : `load ${w.load1.toFixed(1)}`} on ${w.nproc} CPU(s): ${w.effParallelism} of ${w.processors} processor(s) effective`,
        );
    } else out.push('   - no measurement reported (the call did not finish under the shim)');
    if (c.whatIf) out.push(`   - what-if (sample): ${text(c.whatIf.note)}`);
    if (c.cacheSuspended.length)
      out.push(`   - apt cache overlay taken out during the call: ${c.cacheSuspended.map(code).join(', ')}`);
  });
  out.push('');
  return out;
}
