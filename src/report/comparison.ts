// The report's comparison with earlier runs of the same name on this host, as HTML and Markdown.
import { formatComparison } from '../learning/run-compare.js';
import { formatWhatIf, type ComparisonWithWhatIf } from '../learning/bare-what-if.js';
import type { RunRecord } from '../schemas/run-record.js';
import { esc } from './format.js';

type Comparison = NonNullable<RunRecord['comparison']>;

function lines(r: RunRecord): string[] | null {
  if (!r.comparison) return null;
  const c = r.comparison as Comparison & ComparisonWithWhatIf;
  return [...formatComparison(c, r.name), ...(c.bareWhatIf ? formatWhatIf(c.bareWhatIf) : [])];
}

export function renderComparisonHtml(r: RunRecord): string {
  const l = lines(r);
  if (!l) return '';
  const [head, ...rest] = l;
  return `<section class="card"><h2>Compared with earlier runs</h2><p>${esc(head ?? '')}</p>
<ul>${rest.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`;
}

export function renderComparisonMd(r: RunRecord, mdText: (s: string) => string): string[] {
  const l = lines(r);
  if (!l) return [];
  const [head, ...rest] = l;
  return ['## Compared with earlier runs', '', mdText(head ?? ''), '', ...rest.map((x) => `- ${mdText(x)}`), ''];
}
