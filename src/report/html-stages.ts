// The run report's stage timeline: one bar per stage of the build, and a table with each stage's
// duration, CPU and I/O from the Monitor's samples.
import type { RunRecord } from '../schemas/run-record.js';
import { epoch, esc, formatTime } from './format.js';
import { STAGE_HEAD, stageCells, stageRow, stageSources } from './stage-cells.js';

export function renderStages(r: RunRecord): string {
  const stages = r.stages ?? [];
  if (!stages.length) return '';
  const t0 = epoch(stages[0]!.startedAt) ?? 0;
  const t1 = Math.max(...stages.map((s) => epoch(s.endedAt) ?? t0));
  const span = Math.max(1, t1 - t0);
  const bars = stages.map((st) => {
    const a = epoch(st.startedAt) ?? t0;
    const left = Math.min(100, Math.max(0, ((a - t0) / span) * 100));
    const width = Math.min(100 - left, Math.max(0.3, (st.durationMs / span) * 100));
    const c = stageCells(st, t0);
    return (
      `<div class="name">${esc(st.name)}</div>` +
      `<div class="track" title="${esc(`${st.name}: ${formatTime(st.startedAt)} → ${formatTime(st.endedAt)}`)}"><div class="bar tone-info" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></div></div>` +
      `<div class="dur mono small">${esc(c.duration)}</div><div class="small muted">${esc(c.start)}</div>`
    );
  });
  const rows = stages.map(
    (st) =>
      `<tr>${stageRow(stageCells(st, t0))
        .map((v, i) => `<td${i ? ' class="mono"' : ''}>${esc(v)}</td>`)
        .join('')}</tr>`,
  );
  return `<section class="card" id="stages"><h2>Build stages</h2>
<div class="timeline">${bars.join('\n')}</div>
<table><thead><tr>${STAGE_HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="muted small" style="margin:10px 0 0">From ${esc(stageSources(stages).replace(/`/g, ''))}; CPU and I/O from the Monitor's samples during each stage.</p>
</section>`;
}
