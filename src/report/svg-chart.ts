// A line chart as inline SVG, generated here rather than by a chart library so the report stays one
// self-contained file. Themed parts (grid, text, bands) use CSS classes from the page; series strokes
// carry fixed colours. Copes with zero points, one point, and thousands (downsampled for drawing).
import { esc, formatBytes, formatOffset } from './format.js';
import { downsample, peakOf, type Peak, type Series } from './series.js';

export type Unit = 'pct' | 'bytes';

export interface ChartEvent {
  at: number;
  kind: 'alert' | 'recovery';
  level: string;
  label: string;
}

export interface ChartSpec {
  title: string;
  unit: Unit;
  /** Time domain, epoch ms. */
  t0: number;
  t1: number;
  series: Series[];
  events?: ChartEvent[];
  phases?: { name: string; start: number; end: number }[];
  thresholds?: { value: number; label: string }[];
}

export const EVENT_COLORS = { emergency: '#dc2626', warning: '#ea580c', recovery: '#16a34a' } as const;

const W = 880;
const H = 262;
const M = { left: 62, right: 18, top: 36, bottom: 28 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
/** Enough points for a plot ~800 px wide: two per pixel column pair. */
const MAX_DRAWN = 800;

const f = (n: number): string => (Math.round(n * 10) / 10).toString();

export function formatValue(unit: Unit, v: number): string {
  return unit === 'pct' ? `${v.toFixed(v >= 10 || v === 0 ? 0 : 1)} %` : formatBytes(v);
}

/** Round y-axis ticks: percent is 0-100 (more only if a value exceeds it), bytes use 1-2-5 steps. */
function yTicks(unit: Unit, max: number): number[] {
  if (unit === 'pct') {
    const top = max > 100 ? Math.ceil(max / 50) * 50 : 100;
    const step = top / 4;
    return [0, 1, 2, 3, 4].map((i) => i * step);
  }
  if (!(max > 0)) return [0, 1024];
  const base = 1024 ** Math.max(0, Math.floor(Math.log(max) / Math.log(1024)));
  const rough = max / base / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * mag >= rough) ?? 10) * mag * base;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

function timeTicks(span: number): number[] {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400].map(
    (s) => s * 1000,
  );
  const step = steps.find((s) => span / s <= 8) ?? span / 8;
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1; t += step) ticks.push(t);
  return ticks;
}

export function renderChart(spec: ChartSpec): string {
  let { t0, t1 } = spec;
  if (!(t1 - t0 >= 1000)) [t0, t1] = [t0 - 500, t0 + 500]; // one sample, or none: centre it
  const all = spec.series.flatMap((s) => s.segments.flat());
  const dataMax = Math.max(0, ...all.map((p) => p.v), ...(spec.thresholds ?? []).map((t) => t.value));
  const ticks = yTicks(spec.unit, dataMax);
  const yMax = ticks[ticks.length - 1]!;
  const x = (t: number): number => M.left + ((t - t0) / (t1 - t0)) * PW;
  const y = (v: number): number => M.top + PH - (Math.max(0, v) / yMax) * PH;
  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">`,
  );

  // Labels placed so far (phase, threshold and peak labels), so that no two overlap.
  const placed: Box[] = [];
  // Phases as faint bands, so a spike can be read against what the build was doing.
  (spec.phases ?? []).forEach((p, i) => {
    const a = Math.max(M.left, x(p.start));
    const b = Math.min(M.left + PW, x(p.end));
    if (b - a < 1) return;
    out.push(
      `<rect class="band band-${i % 2}" x="${f(a)}" y="${M.top}" width="${f(b - a)}" height="${PH}"><title>${esc(p.name)}</title></rect>`,
    );
    if (b - a > 40) {
      const label = clip(p.name, Math.floor((b - a) / 7));
      out.push(`<text class="band-label" x="${f(a + 4)}" y="13">${esc(label)}</text>`);
      placed.push(box(a + 4, 13, label.length * 6.3, 'start'));
    }
  });

  for (const v of ticks) {
    out.push(`<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${f(y(v))}" y2="${f(y(v))}"/>`);
    out.push(
      `<text class="tick" x="${M.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${esc(formatValue(spec.unit, v))}</text>`,
    );
  }
  for (const t of timeTicks(t1 - t0)) {
    out.push(`<text class="tick" x="${f(x(t0 + t))}" y="${H - 8}" text-anchor="middle">${formatOffset(t)}</text>`);
  }
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/>`);

  for (const th of spec.thresholds ?? []) {
    const ty = y(th.value) - 4;
    out.push(
      `<line class="threshold" x1="${M.left}" x2="${M.left + PW}" y1="${f(y(th.value))}" y2="${f(y(th.value))}"/>`,
    );
    out.push(`<text class="threshold-label" x="${M.left + 6}" y="${f(ty)}">${esc(th.label)}</text>`);
    placed.push(box(M.left + 6, ty, th.label.length * 6, 'start'));
  }

  const fill = spec.series.length === 1;
  for (const s of spec.series) {
    for (const seg of s.segments) {
      const pts = downsample(seg, MAX_DRAWN);
      if (pts.length === 1) {
        out.push(
          `<circle class="dot" cx="${f(x(pts[0]!.t))}" cy="${f(y(pts[0]!.v))}" r="4" fill="${s.color}"><title>${esc(s.label)}</title></circle>`,
        );
        continue;
      }
      const coords = pts.map((p) => `${f(x(p.t))},${f(y(p.v))}`);
      if (fill) {
        const base = f(M.top + PH);
        out.push(
          `<path class="area" d="M${f(x(pts[0]!.t))},${base}L${coords.join('L')}L${f(x(pts[pts.length - 1]!.t))},${base}Z" fill="${s.color}" fill-opacity="0.14"/>`,
        );
      }
      out.push(
        `<polyline class="line" points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"><title>${esc(s.label)}</title></polyline>`,
      );
    }
  }

  for (const e of spec.events ?? []) {
    const ex = x(e.at);
    if (ex < M.left - 1 || ex > M.left + PW + 1) continue;
    const color =
      e.kind === 'recovery'
        ? EVENT_COLORS.recovery
        : e.level === 'emergency'
          ? EVENT_COLORS.emergency
          : EVENT_COLORS.warning;
    out.push(
      `<g class="event"><title>${esc(e.label)}</title><line x1="${f(ex)}" x2="${f(ex)}" y1="${M.top}" y2="${M.top + PH}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>` +
        `<path d="M${f(ex - 5)},${M.top}L${f(ex + 5)},${M.top}L${f(ex)},${M.top + 7}Z" fill="${color}"/></g>`,
    );
  }

  const peaks = spec.series
    .map((s) => ({ s, p: pointCountAtLeast(s, 2) ? peakOf(s) : null }))
    .filter((e): e is { s: Series; p: Peak } => e.p !== null)
    .sort((a, b) => b.p.v - a.p.v);
  for (const { s, p } of peaks)
    out.push(peakMarker(p, s.color, spec.unit, x(p.t), y(p.v), spec.series.length > 1, placed));
  out.push('</svg>');
  return out.join('');
}

function pointCountAtLeast(s: Series, n: number): boolean {
  let c = 0;
  for (const seg of s.segments) if ((c += seg.length) >= n) return true;
  return false;
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Approximate extent of a text label with its baseline at y (12 px UI font). */
function box(x: number, y: number, w: number, anchor: 'start' | 'middle' | 'end'): Box {
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0, x1: x0 + w, y0: y - 12, y1: y + 3 };
}

const overlaps = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

function peakMarker(p: Peak, color: string, unit: Unit, px: number, py: number, named: boolean, placed: Box[]): string {
  const text = `peak ${formatValue(unit, p.v)}${named ? ` · ${clip(p.label, 28)}` : ''}`;
  const w = text.length * 6.9;
  const anchor = px > W - M.right - w / 2 - 10 ? 'end' : px < M.left + w / 2 + 10 ? 'start' : 'middle';
  const lx = px + (anchor === 'end' ? -8 : anchor === 'start' ? 8 : 0);
  // Above the point first, then below, then stepping further away; keep inside the plot.
  const candidates = [py - 10, py + 20, py - 26, py + 36, py - 42, py + 52, py - 58, py + 68];
  const fits = (ty: number): boolean => ty - 12 >= 15 && ty <= M.top + PH - 4;
  const ty =
    candidates.find((c) => fits(c) && !placed.some((b) => overlaps(b, box(lx, c, w, anchor)))) ??
    candidates.find(fits) ??
    py - 10;
  placed.push(box(lx, ty, w, anchor));
  return (
    `<g class="peak"><circle cx="${f(px)}" cy="${f(py)}" r="4.5" fill="${color}" class="peak-dot"/>` +
    `<text class="peak-label" x="${f(lx)}" y="${f(ty)}" text-anchor="${anchor}">${esc(text)}</text></g>`
  );
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}
