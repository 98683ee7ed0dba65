// A finished run is written as its record (JSON, through the run store) and its HTML report, side by side in runs/.
import type { StatePaths } from '../host/system/state-dir.js';
import { saveRunRecord } from '../report/run-store.js';
import { writeHtmlReport } from '../report/write-report.js';
import type { RunRecord, RunRecordInput } from '../schemas/run-record.js';

export function saveRun(paths: StatePaths, input: RunRecordInput): { record: RunRecord; file: string; html: string } {
  const { file, record } = saveRunRecord(paths.runs, input);
  return { record, file, html: writeHtmlReport(record, paths.runs) };
}
