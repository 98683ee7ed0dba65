// The tuning (what was exported into the build and how the prediction held up), the memory keys the
// run updated, and free-form notes.
import type { RunRecord, RunTuning } from '../schemas/run-record.js';
import { esc, formatBytes, formatChange, formatDuration } from './format.js';

function compareRows(label: string, predicted: number, measured: number, fmt: (n: number) => string): string {
  const top = Math.max(predicted, measured, 1e-9);
  const bar = (v: number, cls: string): string =>
    `<div class="track"><div class="fill ${cls}" style="width:${((v / top) * 100).toFixed(1)}%"></div></div>`;
  return (
    `<div class="muted small">${esc(label)}, predicted</div>${bar(predicted, 'pred')}<div class="mono small">${esc(fmt(predicted))}</div>` +
    `<div class="small"><strong>measured</strong></div>${bar(measured, 'meas')}<div class="mono small"><strong>${esc(fmt(measured))}</strong> <span class="muted">${esc(formatChange(predicted, measured))}</span></div>`
  );
}

/** Flat choices (compressor, level, jobs) read best as a table; nested ones as JSON. */
function renderChoice(choice: unknown): string {
  if (choice === undefined || choice === null) return '';
  if (typeof choice === 'object' && !Array.isArray(choice)) {
    const entries = Object.entries(choice as Record<string, unknown>);
    if (
      entries.length > 0 &&
      entries.every(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    ) {
      return `<h3>Choice</h3><table><tbody>${entries.map(([k, v]) => `<tr><td class="muted" style="width:30%">${esc(k)}</td><td class="mono">${esc(String(v))}</td></tr>`).join('')}</tbody></table>`;
    }
  }
  return `<h3>Choice</h3><details><summary>show the tuner’s choice</summary><pre>${esc(JSON.stringify(choice, null, 2))}</pre></details>`;
}

function renderTuningBody(t: RunTuning): string {
  const env = Object.entries(t.applied);
  const parts: string[] = [];
  parts.push(`<h3>Exported into the build (${env.length})</h3>`);
  parts.push(
    env.length
      ? `<table><thead><tr><th>Variable</th><th>Value</th></tr></thead><tbody>${env.map(([k, v]) => `<tr><td class="mono" style="width:30%">${esc(k)}</td><td class="mono">${esc(v)}</td></tr>`).join('')}</tbody></table>`
      : `<p class="empty">Nothing was exported.</p>`,
  );
  parts.push(renderChoice(t.choice));
  if (t.predicted && t.measured) {
    parts.push(`<h3>Predicted vs measured</h3>`);
    parts.push(`<div class="cmp">${compareRows('Time', t.predicted.timeMs, t.measured.timeMs, formatDuration)}</div>`);
    parts.push(
      `<div class="cmp">${compareRows('Size', t.predicted.sizeBytes, t.measured.sizeBytes, formatBytes)}</div>`,
    );
  } else if (t.predicted || t.measured) {
    const m = (t.predicted ?? t.measured)!;
    parts.push(
      `<p>${t.predicted ? 'Predicted' : 'Measured'}: ${esc(formatDuration(m.timeMs))}, ${esc(formatBytes(m.sizeBytes))} <span class="muted">(no ${t.predicted ? 'measurement' : 'prediction'} to compare with)</span></p>`,
    );
  }
  return parts.join('\n');
}

export function renderTuning(r: RunRecord): string {
  const body = r.tuning ? renderTuningBody(r.tuning) : `<p class="empty">No tuning was applied to this run.</p>`;
  return `<section class="card"><h2>Tuning</h2>\n${body}</section>`;
}

export function renderLearned(r: RunRecord): string {
  const keys = r.patternsUpdated.length
    ? `<ul class="keys">${r.patternsUpdated.map((k) => `<li><code>${esc(k)}</code></li>`).join('')}</ul>`
    : `<p class="empty">No patterns were updated.</p>`;
  const notes = r.notes.length ? `<h3>Notes</h3><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<section class="card"><h2>What the swarm learned</h2>
<p class="muted small">Memory keys this run wrote; read one with <code>isoswarm memory get KEY</code>.</p>
${keys}${notes}</section>`;
}
