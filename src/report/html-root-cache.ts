// The HTML report's debootstrap section: each root the shim looked up through the root cache, hit
// (restored, with its size and time) or miss (and the spec fields that differed from the nearest
// stored root), as the Markdown report and the JSON record show them.
import type { RunRecord } from '../schemas/run-record.js';
import { esc, formatBytes, formatDuration } from './format.js';

/** The fields shown (the record keeps the lookup as the tuner returned it: schemas/agents/performance-tuner-roots.ts). */
interface Lookup {
  key: string;
  outcome: string;
  reason: string;
  target?: string;
  nearest?: { key: string; differs: { field: string; stored?: unknown; now?: unknown }[] } | null;
  restoreMs?: number;
  bytes?: number;
}

function numbers(l: Lookup): string {
  if (l.outcome !== 'hit' || l.restoreMs === undefined) return '<span class="muted">—</span>';
  return `${esc(formatBytes(l.bytes ?? 0))} restored in ${esc(formatDuration(l.restoreMs))}`;
}

function differs(l: Lookup): string {
  const d = l.nearest?.differs ?? [];
  if (!d.length) return '';
  return `<br><span class="muted small">differs from <code>${esc(l.nearest?.key ?? '')}</code> in ${d
    .map(
      (x) =>
        `<code>${esc(x.field)}</code> (stored ${esc(JSON.stringify(x.stored) ?? '-')}, now ${esc(JSON.stringify(x.now) ?? '-')})`,
    )
    .join(', ')}</span>`;
}

export function renderRootCache(r: RunRecord): string {
  const lookups = (r.rootCache ?? []) as Lookup[];
  if (lookups.length === 0) return '';
  const rows = lookups
    .map(
      (l, i) =>
        `<tr><td>${i + 1}</td><td><strong>${esc(l.outcome)}</strong></td><td class="mono">${esc(l.target ?? '')}</td>` +
        `<td class="mono">${esc(l.key)}</td><td>${numbers(l)}</td><td>${esc(l.reason)}${differs(l)}</td></tr>`,
    )
    .join('');
  const hits = lookups.filter((l) => l.outcome === 'hit').length;
  return `<section class="card"><h2>debootstrap calls (through the root cache)</h2>
<p class="muted small">${hits} of ${lookups.length} lookups hit; see <code>isoswarm cache why KEY</code>.</p>
<table><thead><tr><th>#</th><th>Outcome</th><th>Target</th><th>Key</th><th>Restored</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}
