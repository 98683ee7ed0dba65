// The resources part of the HTML report: one chart per metric with peaks, threshold events and the
// phases behind them, then the list of threshold events.
import type { RunEvent, RunRecord } from '../schemas/run-record.js';
import { epoch, esc, formatBytes, formatOffset, formatPct } from './format.js';
import { chip } from './html-header.js';
import { peakOf, pointCount, type Series } from './series.js';
import type { RunSummary } from './summary.js';
import { EVENT_COLORS, formatValue, renderChart, type ChartEvent, type Unit } from './svg-chart.js';

interface ChartDef {
  title: string;
  unit: Unit;
  series: Series[];
  metric?: string;
  note?: string;
}

function eventLabel(e: RunEvent, unit: Unit): string {
  const what = e.kind === 'alert' ? `${e.level} alert` : `recovered from ${e.level}`;
  return `${what} · ${e.metric} ${e.subject}: ${formatValue(unit, e.value)} (threshold ${formatValue(unit, e.threshold)}) at +`;
}

function stats(series: Series[], unit: Unit, t0: number): string {
  if (series.length !== 1) return '';
  const pts = series[0]!.segments.flat();
  const p = peakOf(series[0]!);
  if (!p || pts.length === 0) return '';
  const mean = pts.reduce((a, b) => a + b.v, 0) / pts.length;
  return `peak ${formatValue(unit, p.v)} at +${formatOffset(p.t - t0)} · mean ${formatValue(unit, mean)}`;
}

function legend(series: Series[], events: RunEvent[]): string {
  const items = series.map((s) => `<span style="--c:${s.color}">${esc(s.label)}</span>`);
  if (events.some((e) => e.kind === 'alert' && e.level !== 'emergency'))
    items.push(`<span class="ev" style="--c:${EVENT_COLORS.warning}">warning</span>`);
  if (events.some((e) => e.kind === 'alert' && e.level === 'emergency'))
    items.push(`<span class="ev" style="--c:${EVENT_COLORS.emergency}">emergency</span>`);
  if (events.some((e) => e.kind === 'recovery'))
    items.push(`<span class="ev" style="--c:${EVENT_COLORS.recovery}">recovery</span>`);
  return `<div class="legend">${items.join('')}</div>`;
}

function chartCard(def: ChartDef, r: RunRecord, s: RunSummary): string {
  const known = new Set(['memory', 'disk', 'temp']);
  const events = r.events.filter((e) =>
    def.metric ? e.metric === def.metric : def.title === 'CPU' && !known.has(e.metric),
  );
  const chartEvents: ChartEvent[] = events.map((e) => ({
    at: e.at,
    kind: e.kind,
    level: e.level,
    label: eventLabel(e, def.unit) + formatOffset(e.at - s.t0),
  }));
  const thresholds = new Map<number, string>();
  for (const e of events)
    if (e.kind === 'alert') thresholds.set(e.threshold, `${e.level} ${formatValue(def.unit, e.threshold)}`);
  // The build's own stages (phase calls, a builder's stage lines) shade the build phase's span.
  const stages = (r.stages ?? []).map((st) => ({
    name: st.name,
    start: epoch(st.startedAt) ?? s.t0,
    end: epoch(st.endedAt) ?? s.t1,
  }));
  const phases = r.phases.flatMap((p) =>
    p.name === 'build' && stages.length
      ? stages
      : [{ name: p.name, start: epoch(p.startedAt) ?? s.t0, end: epoch(p.endedAt) ?? s.t1 }],
  );
  const svg = renderChart({
    title: `${def.title} over time`,
    unit: def.unit,
    t0: s.t0,
    t1: s.t1,
    series: def.series,
    events: chartEvents,
    phases,
    thresholds: [...thresholds].map(([value, label]) => ({ value, label })),
  });
  return `<div class="chart-card"><h3><span>${esc(def.title)}</span><span class="muted small">${esc(stats(def.series, def.unit, s.t0))}</span></h3>
${def.note ? `<p class="muted small">${esc(def.note)}</p>` : ''}${legend(def.series, events)}${svg}</div>`;
}

export function renderResources(r: RunRecord, s: RunSummary): string {
  if (r.samples.length === 0) {
    return `<section class="card"><h2>Resources over time</h2><p class="empty">The Monitor recorded no samples for this run, so there is nothing to chart.</p>${renderEvents(r, s)}</section>`;
  }
  const c = s.charts;
  const defs: ChartDef[] = [
    { title: 'CPU', unit: 'pct', series: [c.cpu], note: 'Busy share of all cores on the host.' },
    { title: 'Memory', unit: 'pct', series: [c.memory], metric: 'memory' },
    { title: 'Disk used', unit: 'pct', series: c.disks, metric: 'disk' },
    { title: 'Temp size', unit: 'bytes', series: [c.temp], metric: 'temp' },
  ];
  if (pointCount(c.rss) + pointCount(c.written) > 0)
    defs.push({
      title: 'Build process tree',
      unit: 'bytes',
      series: [c.rss, c.written],
      note: 'Resident memory of the build’s processes, and the bytes they wrote so far.',
    });
  const drawn = defs.filter((d) => d.series.some((x) => pointCount(x) > 0));
  const missing = defs.filter((d) => !drawn.includes(d)).map((d) => d.title.toLowerCase());
  const n = r.samples.length;
  const span = formatOffset(s.t1 - s.t0);
  return `<section class="card"><h2>Resources over time</h2>
<p class="muted small">${n.toLocaleString('en-US')} ${n === 1 ? 'sample' : 'samples'} over ${esc(span)} (m:ss from the start). Shaded bands are the phases; dashed lines are threshold events.${missing.length ? ` Not measured: ${esc(missing.join(', '))}.` : ''}</p>
${drawn.map((d) => chartCard(d, r, s)).join('\n')}
${renderEvents(r, s)}
</section>`;
}

function renderEvents(r: RunRecord, s: RunSummary): string {
  if (r.events.length === 0) return `<h3>Threshold events</h3><p class="empty">No thresholds were crossed.</p>`;
  // An alert storm should not bury the rest of the report: the first 100, then a count.
  const shown = r.events.slice(0, 100);
  const more = r.events.length - shown.length;
  const rows = shown.map((e) => {
    const fmt = e.metric === 'temp' ? formatBytes : (n: number) => formatPct(n);
    const tone = e.kind === 'recovery' ? 'ok' : e.level === 'emergency' ? 'bad' : 'warn';
    return `<tr><td class="mono">+${esc(formatOffset(e.at - s.t0))}</td><td>${chip(e.kind === 'alert' ? `${e.level}` : 'recovery', tone)}</td><td>${esc(e.metric)}</td><td class="mono">${esc(e.subject)}</td><td class="num">${esc(fmt(e.value))}</td><td class="num">${esc(fmt(e.threshold))}</td></tr>`;
  });
  return `<h3>Threshold events</h3><table><thead><tr><th>When</th><th>Event</th><th>Metric</th><th>Subject</th><th class="num">Value</th><th class="num">Threshold</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more > 0 ? `<p class="muted small">… and ${more} more (all are in the JSON report).</p>` : ''}`;
}
