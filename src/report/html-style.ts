// The report's stylesheet: system fonts only (no network), light and dark via prefers-color-scheme,
// contrast at WCAG AA or better for body text in both.
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --card: #ffffff; --text: #1b1e24; --muted: #596070; --line: #e2e5ea; --grid: #e8eaef;
  --code-bg: #f0f2f5; --ok: #15803d; --ok-bg: #dcfce7; --bad: #b91c1c; --bad-bg: #fee2e2;
  --warn: #a16207; --warn-bg: #fef3c7; --info: #1d4ed8; --info-bg: #dbeafe;
  --band-0: rgba(59, 130, 246, 0.06); --band-1: rgba(100, 116, 139, 0.07); --track: #eef0f3;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.05);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1015; --card: #161a21; --text: #e6e8ee; --muted: #a0a7b6; --line: #2a303b; --grid: #242a34;
    --code-bg: #1e232c; --ok: #4ade80; --ok-bg: rgba(74, 222, 128, 0.12); --bad: #f87171; --bad-bg: rgba(248, 113, 113, 0.13);
    --warn: #fbbf24; --warn-bg: rgba(251, 191, 36, 0.12); --info: #93c5fd; --info-bg: rgba(147, 197, 253, 0.12);
    --band-0: rgba(96, 165, 250, 0.07); --band-1: rgba(148, 163, 184, 0.06); --track: #202530;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
main { max-width: 1000px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 28px; line-height: 1.2; margin: 6px 0 8px; letter-spacing: -0.01em; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 0 0 14px; letter-spacing: -0.005em; }
h3 { font-size: 15px; margin: 18px 0 8px; }
p { margin: 0 0 10px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.88em; }
code { background: var(--code-bg); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 22px; margin: 18px 0; box-shadow: var(--shadow); }
.eyebrow { font-size: 12px; letter-spacing: 0.08em; text-transform: uppercase; color: var(--muted); font-weight: 600; }
.hero { display: flex; gap: 16px; align-items: flex-start; justify-content: space-between; flex-wrap: wrap; }
.hero .cmd { display: block; margin-top: 4px; padding: 8px 10px; border-radius: 8px; background: var(--code-bg); white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-flex; align-items: center; gap: 8px; padding: 6px 12px; border-radius: 999px; font-weight: 650; font-size: 14px; white-space: nowrap; }
.badge::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: currentColor; }
.tone-ok { color: var(--ok); background: var(--ok-bg); }
.tone-bad { color: var(--bad); background: var(--bad-bg); }
.tone-warn { color: var(--warn); background: var(--warn-bg); }
.tone-info { color: var(--info); background: var(--info-bg); }
.tone-muted { color: var(--muted); background: var(--code-bg); }
.stats { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-top: 18px; }
.stat { border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.stat .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; font-weight: 600; }
.stat .v { font-size: 21px; font-weight: 650; margin-top: 2px; overflow-wrap: anywhere; }
.stat .s { font-size: 12.5px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.summary-line { margin-top: 14px; }
.warnings { list-style: none; padding: 0; margin: 14px 0 0; }
.warnings li { padding: 8px 12px; border-radius: 8px; margin-top: 6px; color: var(--warn); background: var(--warn-bg); font-weight: 550; }
.timeline { display: grid; grid-template-columns: minmax(110px, 180px) 1fr 90px 96px; gap: 8px 14px; align-items: center; }
.timeline .name { font-weight: 600; overflow-wrap: anywhere; }
.timeline .track { position: relative; height: 14px; background: var(--track); border-radius: 7px; }
.timeline .bar { position: absolute; top: 0; bottom: 0; border-radius: 7px; min-width: 4px; }
.timeline .dur { text-align: right; }
.bar.tone-ok { background: var(--ok); } .bar.tone-bad { background: var(--bad); }
.bar.tone-warn { background: var(--warn); } .bar.tone-info { background: var(--info); } .bar.tone-muted { background: var(--muted); }
.chip { display: inline-block; max-width: 18em; overflow: hidden; text-overflow: ellipsis; vertical-align: middle; padding: 1px 8px; border-radius: 999px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
.timeline > div { min-width: 0; }
.timeline .chip { max-width: 100%; }
.chart-card h3 { margin-top: 4px; display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.chart-card + .chart-card { margin-top: 22px; padding-top: 18px; border-top: 1px solid var(--line); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; color: var(--muted); margin: 0 0 6px; }
.legend span::before { content: ""; display: inline-block; width: 14px; height: 3px; border-radius: 2px; background: var(--c); vertical-align: middle; margin-right: 6px; }
.legend .ev::before { width: 3px; height: 12px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis { stroke: var(--line); stroke-width: 1.2; }
svg.chart .tick, svg.chart .band-label { fill: var(--muted); font-size: 11.5px; font-family: inherit; }
svg.chart .band-0 { fill: var(--band-0); } svg.chart .band-1 { fill: var(--band-1); }
svg.chart .threshold { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 2 4; }
svg.chart .threshold-label { fill: var(--muted); font-size: 11px; }
svg.chart .peak-dot { stroke: var(--card); stroke-width: 2; }
svg.chart .peak-label { fill: var(--text); font-size: 12px; font-weight: 650; paint-order: stroke; stroke: var(--card); stroke-width: 4px; stroke-linejoin: round; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600; padding: 6px 10px 6px 0; border-bottom: 1px solid var(--line); }
td { padding: 7px 10px 7px 0; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; white-space: nowrap; }
ol.unmounts { margin: 0; padding-left: 26px; }
ol.unmounts li { padding: 3px 0; }
ol.unmounts li::marker { color: var(--muted); font-variant-numeric: tabular-nums; }
ul.pre-mounts { margin: 0 0 8px; padding-left: 22px; }
ul.pre-mounts li { padding: 3px 0; }
.cmp { display: grid; grid-template-columns: 130px 1fr 140px; gap: 6px 12px; align-items: center; margin: 6px 0 14px; }
.cmp .track { height: 10px; background: var(--track); border-radius: 5px; position: relative; }
.cmp .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 5px; }
.fill.pred { background: var(--muted); opacity: 0.55; } .fill.meas { background: var(--info); }
.keys { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 0; }
.empty { color: var(--muted); font-style: italic; }
details summary { cursor: pointer; color: var(--muted); font-size: 13.5px; }
pre { background: var(--code-bg); padding: 10px 12px; border-radius: 8px; overflow-x: auto; font-size: 12.5px; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; margin-top: 28px; }
@media (max-width: 640px) {
  main { padding: 18px 12px 32px; }
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .timeline { grid-template-columns: 1fr 70px; }
  .timeline .track { grid-column: 1 / -1; }
}
@media print { body { background: #fff; } section.card { box-shadow: none; break-inside: avoid; } }
`;
