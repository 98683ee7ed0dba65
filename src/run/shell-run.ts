// A run opened by a shell script that uses the shell functions (init_optimization_system ...
// generate_build_report) instead of `isoswarm run`: each function's call is a step, appended as one
// line to <state>/shell-runs/<run>.jsonl (O_APPEND: steps from concurrent calls do not interleave),
// and the run record under runs/ is rebuilt from those lines after every step, so the report of that
// run id always shows this script's own steps.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { StatePaths } from '../host/system/state-dir.js';
import { processStartTime, type ProcessRef } from '../host/proc/process-identity.js';
import { isValidRunId } from '../report/run-store.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { saveRun } from './save.js';

export interface OpenLine {
  kind: 'open';
  runId: string;
  name: string;
  command: string[];
  startedAt: string;
  /** The script's shell, and its start time (so that a reused pid is not taken for it). */
  pid: number;
  pidStart?: number;
  /** The shell that called init_optimization_system when that is not `pid` (a pipeline's subshell). */
  also?: ProcessRef;
}

export interface ShellStep {
  kind: 'step';
  name: string;
  startedAt: string;
  endedAt: string;
  exitCode: number;
}

interface CloseLine {
  kind: 'close';
  endedAt: string;
}

/** A holder process holds the build lock on `tree` for the run (shell-lock.ts). */
export interface LockLine {
  kind: 'lock';
  tree: string;
  holder: ProcessRef;
}

type Line = OpenLine | ShellStep | CloseLine | LockLine;

export class ShellRunError extends Error {}

export function shellRunsDir(paths: StatePaths): string {
  return join(paths.root, 'shell-runs');
}

export function journal(paths: StatePaths, runId: string): string {
  if (!isValidRunId(runId)) throw new ShellRunError(`"${runId}" is not a valid run id`);
  return join(shellRunsDir(paths), `${runId}.jsonl`);
}

export function readLines(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);
}

function newShellRunId(name: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60) || 'script'}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The run record as the journal has it so far (still open until a close line). */
export function composeRecord(paths: StatePaths, runId: string, extra: Partial<RunRecordInput> = {}): RunRecordInput {
  const file = journal(paths, runId);
  if (!existsSync(file)) throw new ShellRunError(`no shell run "${runId}" (opened by init_optimization_system)`);
  const lines = readLines(file);
  const open = lines.find((l): l is OpenLine => l.kind === 'open');
  if (!open) throw new ShellRunError(`shell run "${runId}" has no opening line`);
  const steps = lines.filter((l): l is ShellStep => l.kind === 'step');
  const close = [...lines].reverse().find((l): l is CloseLine => l.kind === 'close');
  // The run's exit code: the last failing step's, else 0 once closed.
  const failed = [...steps].reverse().find((s) => s.exitCode !== 0);
  return {
    runId,
    name: open.name,
    command: open.command,
    // The first tree the run locked (shell-lock.ts): the one it built in.
    chroot: lines.find((l): l is LockLine => l.kind === 'lock')?.tree ?? null,
    isolate: false,
    host: hostname(),
    startedAt: open.startedAt,
    endedAt: close?.endedAt ?? null,
    exitCode: close ? (failed?.exitCode ?? 0) : null,
    signal: null,
    phases: steps.map((s) => ({
      name: s.name,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      status: s.exitCode === 0 ? 'ok' : 'failed',
      ...(s.exitCode !== 0 ? { error: `exit code ${s.exitCode}` } : {}),
    })),
    ...extra,
  } as RunRecordInput;
}

export function openShellRun(
  paths: StatePaths,
  name: string,
  command: string[],
  pid: number,
  alsoPid?: number,
): string {
  mkdirSync(shellRunsDir(paths), { recursive: true, mode: 0o700 });
  const runId = newShellRunId(name);
  const pidStart = processStartTime(pid) ?? undefined;
  const alsoStart = alsoPid !== undefined && alsoPid !== pid ? processStartTime(alsoPid) : null;
  const also = alsoStart !== null ? { pid: alsoPid!, startTime: alsoStart } : undefined;
  const line: OpenLine = {
    kind: 'open',
    runId,
    name,
    command,
    startedAt: new Date().toISOString(),
    pid,
    pidStart,
    ...(also ? { also } : {}),
  };
  appendFileSync(journal(paths, runId), `${JSON.stringify(line)}\n`, { flag: 'wx' });
  saveRun(paths, composeRecord(paths, runId));
  return runId;
}

export function addShellStep(paths: StatePaths, runId: string, step: Omit<ShellStep, 'kind'>): void {
  const file = journal(paths, runId);
  if (!existsSync(file)) throw new ShellRunError(`no shell run "${runId}" (opened by init_optimization_system)`);
  appendFileSync(file, `${JSON.stringify({ kind: 'step', ...step } satisfies ShellStep)}\n`);
  saveRun(paths, composeRecord(paths, runId));
}

/** Closes the run (again, if the script reports twice: the newest close wins) and writes its report. */
export function closeShellRun(
  paths: StatePaths,
  runId: string,
  extra: Partial<RunRecordInput> = {},
): { file: string; html: string; exitCode: number | null } {
  const file = journal(paths, runId);
  if (!existsSync(file)) throw new ShellRunError(`no shell run "${runId}" (opened by init_optimization_system)`);
  appendFileSync(file, `${JSON.stringify({ kind: 'close', endedAt: new Date().toISOString() } satisfies CloseLine)}\n`);
  const r = saveRun(paths, composeRecord(paths, runId, extra));
  return { file: r.file, html: r.html, exitCode: r.record.exitCode };
}
