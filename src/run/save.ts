// A finished run is written as its record (JSON) and its HTML report, side by side in runs/.
import { mkdirSync } from 'node:fs';
import type { StatePaths } from '../host/state-dir.js';
import { runFile, writeFileAtomic } from '../report/run-store.js';
import { writeHtmlReport } from '../report/write-report.js';
import { runRecordSchema, type RunRecord, type RunRecordInput } from '../schemas/run-record.js';

export function saveRun(paths: StatePaths, input: RunRecordInput): { record: RunRecord; file: string; html: string } {
  const record = runRecordSchema.parse(input);
  mkdirSync(paths.runs, { recursive: true, mode: 0o700 });
  const file = runFile(paths.runs, record.runId);
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return { record, file, html: writeHtmlReport(record, paths.runs) };
}
