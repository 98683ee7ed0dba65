// Over 250 lines on purpose: the journal's write, replay and resume rules are one contract and read together.
// Append-only JSON-lines journal, one file per real target path. Every record is written and
// fdatasync'd before the step it announces runs, so after SIGTERM or SIGKILL at any point the next
// run can read which steps began and never finished, and finish them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export type JournalKind = 'start' | 'begin' | 'done' | 'fail' | 'finish';

export interface JournalRecord {
  v: 1;
  ts: string;
  run: string;
  pid: number;
  target: string;
  kind: JournalKind;
  step?: string;
  data?: unknown;
}

/**
 * A step is a name, or an object carrying `id` (or else `step`) plus any data worth recording; an
 * object with neither is identified by its JSON text.
 */
export type StepInput = string | object;

export interface PendingStep {
  step: string;
  run: string;
  ts: string;
  data: Record<string, unknown>;
}

export interface Journal {
  readonly file: string;
  readonly target: string;
  readonly run: string;
  begin(step: StepInput, data?: object): Promise<void>;
  done(step: StepInput, result?: unknown): Promise<void>;
  fail(step: StepInput, err: unknown): Promise<void>;
  /** Marks this run finished and closes the file. */
  finish(): Promise<void>;
  /** Steps begun (by this run or an earlier one) and not done; a failed step stays pending. */
  pending(): PendingStep[];
  /** Closes without marking the run finished (it then shows up in listUnfinished). */
  close(): Promise<void>;
}

export interface JournalState {
  target: string | null;
  records: number;
  pending: PendingStep[];
  /** The last run began and never recorded `finish`. */
  lastRunUnfinished: boolean;
  lastRun: string | null;
  /** Lines that are not records (torn by a kill or a full disk, or corrupted): skipped and counted. */
  badLines: number;
}

export interface UnfinishedJournal extends JournalState {
  file: string;
  target: string;
}

const ROTATE_BYTES = 1 << 20;

export function journalFile(dir: string, target: string): string {
  return join(dir, `${createHash('sha256').update(target).digest('hex').slice(0, 32)}.jsonl`);
}

function stepId(step: StepInput): string {
  if (typeof step === 'string') return step;
  const o = step as { id?: unknown; step?: unknown };
  const id = o.id ?? o.step;
  return typeof id === 'string' ? id : JSON.stringify(step);
}

function stepData(step: StepInput, extra?: object): Record<string, unknown> {
  return { ...(typeof step === 'string' ? {} : step), ...(extra ?? {}) };
}

/** Folds records into the journal's state; a torn last line (killed mid-write) is ignored. */
export function foldJournal(text: string): JournalState {
  const begun = new Map<string, PendingStep>();
  const finished = new Set<string>();
  let target: string | null = null;
  let lastRun: string | null = null;
  let records = 0;
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: JournalRecord;
    try {
      r = JSON.parse(line) as JournalRecord;
    } catch {
      badLines++;
      continue;
    }
    if (typeof r !== 'object' || r === null || typeof r.kind !== 'string') {
      badLines++;
      continue;
    }
    records++;
    target ??= typeof r.target === 'string' ? r.target : null;
    if (r.kind === 'start') lastRun = r.run;
    if (r.kind === 'finish') finished.add(r.run);
    if (r.kind === 'begin' && typeof r.step === 'string') {
      begun.set(r.step, { step: r.step, run: r.run, ts: r.ts, data: (r.data ?? {}) as Record<string, unknown> });
    }
    if (r.kind === 'done' && typeof r.step === 'string') begun.delete(r.step);
  }
  return {
    target,
    records,
    pending: [...begun.values()],
    lastRunUnfinished: lastRun !== null && !finished.has(lastRun),
    lastRun,
    badLines,
  };
}

export async function readJournal(file: string): Promise<JournalState> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return foldJournal(text);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Opens (creating if needed) the journal of `target` in `dir` and records the start of a run.
 * Callers serialize runs on one target with the target lock; writes within a run are ordered here.
 */
export async function openJournal(dir: string, target: string): Promise<Journal> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = journalFile(dir, target);
  let state = await readJournal(file);
  // History only grows; once nothing is pending an old, large file can be set aside.
  if (state.pending.length === 0 && !state.lastRunUnfinished) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size > ROTATE_BYTES) {
      await rename(file, `${file}.1`);
      state = await readJournal(file);
    }
  }
  const fh: FileHandle = await open(file, 'a', 0o600);
  // A torn last line (killed mid-write, disk full) is closed off: the next record starts a line of its own.
  const size = (await fh.stat()).size;
  if (size > 0) {
    const last = Buffer.alloc(1);
    const rd = await open(file, 'r');
    try {
      await rd.read(last, 0, 1, size - 1);
    } finally {
      await rd.close();
    }
    if (last[0] !== 0x0a) await fh.write('\n');
  }
  await syncDir(dir);
  const run = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const pending = new Map(state.pending.map((p) => [p.step, p]));
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const append = (kind: JournalKind, step?: string, data?: unknown): Promise<void> => {
    const rec: JournalRecord = {
      v: 1,
      ts: new Date().toISOString(),
      run,
      pid: process.pid,
      target,
      kind,
      ...(step !== undefined ? { step } : {}),
      ...(data !== undefined ? { data } : {}),
    };
    const line = `${JSON.stringify(rec)}\n`;
    chain = chain.then(async () => {
      if (closed) throw new Error(`journal ${file} is closed`);
      await fh.write(line);
      await fh.datasync();
    });
    return chain;
  };
  const close = async (): Promise<void> => {
    if (closed) return;
    await chain.catch(() => undefined);
    closed = true;
    await fh.close();
  };

  await append('start', undefined, { pid: process.pid, resumable: state.pending.map((p) => p.step) });
  return {
    file,
    target,
    run,
    async begin(step, data) {
      const id = stepId(step);
      const d = stepData(step, data);
      pending.set(id, { step: id, run, ts: new Date().toISOString(), data: d });
      await append('begin', id, d);
    },
    async done(step, result) {
      const id = stepId(step);
      await append('done', id, result);
      pending.delete(id);
    },
    async fail(step, err) {
      const e = err as { code?: unknown; message?: unknown };
      await append('fail', stepId(step), {
        code: typeof e?.code === 'string' ? e.code : undefined,
        message: typeof e?.message === 'string' ? e.message : String(err),
      });
    },
    async finish() {
      await append('finish');
      await close();
    },
    pending: () => [...pending.values()],
    close,
  };
}

/** Journals whose last run never finished or that still hold begun-not-done steps. */
export async function listUnfinished(dir: string): Promise<UnfinishedJournal[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: UnfinishedJournal[] = [];
  for (const n of names.filter((x) => x.endsWith('.jsonl')).sort()) {
    const file = join(dir, n);
    const s = await readJournal(file);
    if (s.target !== null && (s.pending.length > 0 || s.lastRunUnfinished)) out.push({ ...s, file, target: s.target });
  }
  return out;
}
