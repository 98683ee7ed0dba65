// isoswarm report: a run's account as one self-contained HTML file, Markdown or JSON; --list shows the runs.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatDuration, printJson, printLine, table, warn } from '../output.js';

interface ReportOptions {
  format: string;
  out?: string;
  list?: boolean;
  compare?: string;
}

// Renderers and the record schema load only when this command runs.
const store = () => import('../../report/run-store.js');
const writer = () => import('../../report/write-report.js');
const state = () => import('../../host/system/state-dir.js');

function knownList(known: string[]): string {
  if (known.length === 0) return 'no runs are recorded yet';
  const shown = known.slice(-20);
  return `known runs${known.length > shown.length ? ` (newest ${shown.length} of ${known.length})` : ''}:\n  ${shown.join('\n  ')}`;
}

async function listCommand(runsDir: string, json: boolean): Promise<void> {
  const { listRuns } = await store();
  const runs = listRuns(runsDir);
  const rows = runs.map((r) => {
    const rec = r.record;
    const start = rec ? Date.parse(rec.startedAt) : NaN;
    const end = rec?.endedAt ? Date.parse(rec.endedAt) : NaN;
    return {
      runId: r.runId,
      name: rec?.name ?? null,
      startedAt: rec?.startedAt ?? null,
      exitCode: rec?.exitCode ?? null,
      signal: rec?.signal ?? null,
      durationMs: Number.isFinite(end - start) ? end - start : null,
      ...(r.error ? { error: r.error } : {}),
    };
  });
  if (json) return printJson(rows);
  if (rows.length === 0) return printLine(`no runs recorded yet in ${runsDir}`);
  const text = rows.map((r) => [
    r.runId,
    r.error ? '(unreadable)' : (r.name ?? ''),
    r.startedAt ?? '',
    r.signal ? `${r.exitCode ?? ''} ${r.signal}`.trim() : r.exitCode === null ? '–' : String(r.exitCode),
    r.durationMs === null ? '–' : formatDuration(r.durationMs),
  ]);
  printLine(table([['RUN', 'NAME', 'STARTED', 'EXIT', 'DURATION'], ...text]));
}

export function registerReport(program: Command, _globals: () => GlobalOptions): void {
  program
    .command('report')
    .description(
      'render a run as one self-contained HTML file (default), Markdown or JSON; --list shows the recorded runs',
    )
    .argument('[run]', 'a run id, or "latest" (the newest record)', 'latest')
    .option('--format <format>', 'html, md or json', 'html')
    .option('--out <file>', 'write here ("-" for stdout); default: md/json to stdout, html to <state>/runs/<run>.html')
    .option(
      '--compare <run>',
      "show this run's build stages side by side with another run's (Markdown, or JSON with --format json)",
    )
    .option('--list', 'list the recorded runs (id, name, started, exit, duration); with --format json as JSON')
    .action(async (run: string, o: ReportOptions) => {
      const { isReportFormat, renderReport, REPORT_FORMATS } = await writer();
      if (!isReportFormat(o.format))
        throw new CliError(`unknown format "${o.format}": use ${REPORT_FORMATS.join(', ')}`, EXIT.usage);
      const { ensureStateDir } = await state();
      const runsDir = ensureStateDir().runs;
      if (o.list) {
        if (run !== 'latest') throw new CliError('--list takes no run id', EXIT.usage);
        return listCommand(runsDir, o.format === 'json');
      }
      const { resolveRun, htmlReportPath, writeFileAtomic, RunStoreError } = await store();
      let found;
      try {
        found = resolveRun(runsDir, run);
      } catch (e) {
        if (!(e instanceof RunStoreError)) throw e;
        if (e.code === 'bad-id')
          throw new CliError(`${e.message} (run ids are letters, digits, "_", ".", ":" and "-")`, EXIT.usage);
        if (e.code === 'unknown') throw new CliError(`${e.message}; ${knownList(e.known)}`, EXIT.failed);
        throw new CliError(e.message, EXIT.failed);
      }
      for (const sk of found.skipped) warn(`passed over ${sk.error}`);
      if (o.compare !== undefined) {
        if (o.format === 'html') o.format = 'md';
        let other;
        try {
          other = resolveRun(runsDir, o.compare);
        } catch (e) {
          if (e instanceof RunStoreError) throw new CliError(`--compare: ${e.message}`, EXIT.usage);
          throw e;
        }
        const { compareRuns, comparisonMd } = await import('../../report/compare-stages.js');
        const cmp = compareRuns(found.record, other.record);
        if (o.format === 'json') return printJson(cmp);
        const { mdCode } = await import('../../report/render-md.js');
        process.stdout.write(comparisonMd(cmp, (v) => mdCode(v, false)));
        return;
      }
      const text = renderReport(found.record, o.format);
      const out = o.out ?? (o.format === 'html' ? htmlReportPath(runsDir, found.runId) : '-');
      if (out === '-') {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileAtomic(out, text);
      } catch (e) {
        throw new CliError(`cannot write ${out}: ${(e as Error).message}`, EXIT.failed);
      }
      printLine(resolve(out));
    });
}
