// A builder's own caches as the run used them (live-build's cache/bootstrap and cache/packages.*):
// hits, misses, bytes reused and fetched, size after the run — for the Markdown and HTML reports.
import type { RunRecord } from '../schemas/run-record.js';
import { esc, formatBytes } from './format.js';

const HEAD = ['Cache', 'Hits', 'Misses', 'Reused', 'Fetched or made', 'Size after', 'Hits checked'];

function rows(r: RunRecord): string[][] {
  return (r.builderCaches ?? []).map((c) => [
    c.cache,
    String(c.hits),
    String(c.misses),
    formatBytes(c.bytesSaved),
    formatBytes(c.bytesDownloaded),
    formatBytes(c.sizeBytes),
    c.tracking === 'lookup' ? "against the chroot's dpkg status" : 'present before the build',
  ]);
}

export function builderCachesMd(r: RunRecord, text: (v: unknown) => string): string[] {
  const rs = rows(r);
  if (!rs.length) return [];
  return [
    `### ${text(r.builder?.name ?? 'Builder')} caches`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `| --- | ${HEAD.slice(1, 6)
      .map(() => '---:')
      .join(' | ')} | --- |`,
    ...rs.map((x) => `| ${x.map(text).join(' | ')} |`),
    '',
  ];
}

export function builderCachesHtml(r: RunRecord): string {
  const rs = rows(r);
  if (!rs.length) return '';
  return `<section class="card" id="builder-caches"><h2>${esc(r.builder?.name ?? 'Builder')} caches</h2>
<table><thead><tr>${HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rs
    .map((x) => `<tr>${x.map((v, i) => `<td${i ? ' class="mono"' : ''}>${esc(v)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>
<p class="muted small" style="margin:10px 0 0">Counted in the builder's own cache directories (nothing copied); also in optimization/caching-effectiveness/.</p>
</section>`;
}
