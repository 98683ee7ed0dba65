// Text helpers shared by the HTML and Markdown renderers. Everything a run record holds (paths,
// command lines, process names) is untrusted text: it is escaped at the point it enters markup.
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and quoted attribute values alike. */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export { formatBytes, formatDuration } from '../text/units.js';

/** Offset from the run's start as m:ss (or h:mm:ss), for chart axes and event lists. */
export function formatOffset(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time with its UTC offset, e.g. "2025-03-01 14:02:07 +01:00"; raw text if unparseable. */
export function formatTime(iso: string | number | null): string {
  if (iso === null) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const zone = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}

export function formatPct(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${v.toFixed(digits)} %` : '–';
}

/** Epoch ms of an ISO string, or null. */
export function epoch(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The shell-quoted command line, for display. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Relative change of measured against predicted, e.g. "+12.0 %". */
export function formatChange(predicted: number, measured: number): string {
  if (!(predicted > 0)) return '–';
  const d = ((measured - predicted) / predicted) * 100;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} %`;
}
