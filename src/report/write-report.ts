// Rendering a run record in one of the three formats, and writing the HTML next to the record.
import type { RunRecord } from '../schemas/run-record.js';
import { renderHtml, type RenderOptions } from './render-html.js';
import { renderMarkdown } from './render-md.js';
import { htmlReportPath, writeFileAtomic } from './run-store.js';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(v: string): v is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(v);
}

export function renderReport(record: RunRecord, format: ReportFormat, opts: RenderOptions = {}): string {
  if (format === 'html') return renderHtml(record, opts);
  if (format === 'md') return renderMarkdown(record);
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Renders the HTML report to `out` (default <runsDir>/<runId>.html) and returns the path written. */
export function writeHtmlReport(record: RunRecord, runsDir: string, out?: string): string {
  const file = out ?? htmlReportPath(runsDir, record.runId);
  writeFileAtomic(file, renderHtml(record));
  return file;
}
