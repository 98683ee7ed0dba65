// Run records on disk: <stateDir>/runs/<runId>.json, written by `isoswarm run`, read by `report`.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseRunRecord, type RunRecord, type RunRecordInput } from '../schemas/run-record.js';

/** Run ids become file names: no separators, no leading dot, nothing a shell or a path could trip on. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/;

export function isValidRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id) && !id.includes('..');
}

export interface RunListing {
  runId: string;
  file: string;
  mtimeMs: number;
  /** Null when the file could not be read or did not validate; `error` says why. */
  record: RunRecord | null;
  error?: string;
}

export class RunStoreError extends Error {
  constructor(
    message: string,
    readonly code: 'bad-id' | 'unknown' | 'invalid' | 'empty',
    readonly known: string[] = [],
  ) {
    super(message);
    this.name = 'RunStoreError';
  }
}

export function runFile(runsDir: string, runId: string): string {
  if (!isValidRunId(runId)) throw new RunStoreError(`"${runId}" is not a valid run id`, 'bad-id');
  return join(runsDir, `${runId}.json`);
}

/** Reads and validates one record file. */
export function readRunFile(file: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RunStoreError(`cannot read run record ${file}: ${(e as Error).message}`, 'invalid');
  }
  const r = parseRunRecord(raw);
  if (!r.ok) throw new RunStoreError(`run record ${file} is invalid at ${r.message}`, 'invalid');
  return r.record;
}

/** Every *.json in runs/, oldest first (by mtime), each parsed or with the reason it could not be. */
export function listRuns(runsDir: string): RunListing[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RunListing[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = join(runsDir, name);
    let st;
    try {
      st = statSync(file);
    } catch {
      continue; // removed while listing
    }
    if (!st.isFile()) continue;
    const runId = basename(name, '.json');
    try {
      out.push({ runId, file, mtimeMs: st.mtimeMs, record: readRunFile(file) });
    } catch (e) {
      out.push({ runId, file, mtimeMs: st.mtimeMs, record: null, error: (e as Error).message });
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.runId.localeCompare(b.runId));
}

export interface ResolvedRun {
  runId: string;
  file: string;
  record: RunRecord;
  /** For `latest`: newer files that could not be read, passed over (with why). */
  skipped: { file: string; error: string }[];
}

/**
 * A run by id, or for `latest` the newest readable record (a broken newer file is passed over and
 * reported, so that one bad file does not block every report). Unknown ids fail with the known ones.
 */
export function resolveRun(runsDir: string, which = 'latest'): ResolvedRun {
  if (which === 'latest') {
    const all = listRuns(runsDir);
    if (all.length === 0)
      throw new RunStoreError(`no runs recorded yet in ${runsDir}: run a build with \`isoswarm run -- CMD\``, 'empty');
    const skipped: ResolvedRun['skipped'] = [];
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i]!;
      if (r.record) return { runId: r.runId, file: r.file, record: r.record, skipped };
      skipped.push({ file: r.file, error: r.error ?? 'unreadable' });
    }
    throw new RunStoreError(
      `no readable run record in ${runsDir}: ${skipped.map((x) => x.error).join('; ')}`,
      'invalid',
    );
  }
  const file = runFile(runsDir, which);
  try {
    statSync(file);
  } catch {
    const known = listRuns(runsDir).map((r) => r.runId);
    throw new RunStoreError(`unknown run "${which}"`, 'unknown', known);
  }
  return { runId: which, file, record: readRunFile(file), skipped: [] };
}

/** Writes through a temp file and a rename, so a reader never sees half a report. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * Validates a record (filling defaults) and writes it to <runsDir>/<runId>.json atomically, so that
 * `report` never reads half a file. Call it again to update a record as the run progresses.
 */
export function saveRunRecord(runsDir: string, input: RunRecordInput): { file: string; record: RunRecord } {
  const r = parseRunRecord(input);
  if (!r.ok) throw new RunStoreError(`refusing to save an invalid run record: ${r.message}`, 'invalid');
  const file = runFile(runsDir, r.record.runId);
  mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(r.record, null, 2)}\n`);
  return { file, record: r.record };
}

/** Where `report` puts a run's HTML by default: next to its record. */
export function htmlReportPath(runsDir: string, runId: string): string {
  if (!isValidRunId(runId)) throw new RunStoreError(`"${runId}" is not a valid run id`, 'bad-id');
  return join(runsDir, `${runId}.html`);
}
