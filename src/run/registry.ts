// The durable run registry: <state>/run-registry/<runId>/, one file per writer so that no two
// processes ever write the same file:
//   run.json      the CLI, at registration: what ran, where, by whom, the record so far
//   guardian.json the run's guardian: its own pid, the build's pid and process group
//   lost.json     the guardian (or a coordinator): the runner's lease lapsed
//   exit.json     the guardian: how the build ended
//   claim.json    whoever does post-task (the CLI, else a coordinator); taken with O_EXCL
//   done.json     whoever finished post-task: where the record is
//   out.log, err.log  the build's output (what `run` and `run --attach` print)
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isAlive, type ProcessRef } from '../host/proc/process-identity.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { writeFileDurable } from '../host/fs/durable-write.js';

export interface RegisteredRun {
  runId: string;
  name: string;
  chroot: string | null;
  keepOnFailure: boolean;
  /** The chroot is kept whatever the outcome (absent in entries written before `--keep`). */
  keep?: { reason: string } | null;
  aptCache: boolean;
  systemApplied: boolean;
  /** The `isoswarm run` process holding the lease. */
  cli: ProcessRef;
  leaseMs: number;
  graceMs: number;
  /** The run record as far as the CLI got before the build (phases, tuning, checkpoint). */
  record: RunRecordInput;
}

export interface GuardianFile {
  guardian: ProcessRef;
  build: ProcessRef;
  /** The build leads its own process group: signalled as a whole. */
  pgid: number;
}

export interface ExitFile {
  exitCode: number;
  signal: string | null;
  at: string;
}

export interface LostFile {
  at: string;
  reason: string;
}

export interface ClaimFile {
  by: ProcessRef;
  role: 'cli' | 'coordinator';
  at: string;
}

export interface DoneFile {
  at: string;
  recordFile: string | null;
  report: string | null;
  exitCode: number | null;
  runnerLost: boolean;
}

export function registryDir(stateRoot: string): string {
  return join(stateRoot, 'run-registry');
}

export function runDir(stateRoot: string, runId: string): string {
  return join(registryDir(stateRoot), runId);
}

/** A crash leaves the old file or the new one, never half. */
export function writeDurable(file: string, value: unknown): void {
  writeFileDurable(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Null when absent; a truncated or corrupted file is reported through `onBad` and treated as absent. */
export function readJson<T>(file: string, onBad?: (msg: string) => void): T | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    onBad?.(`${file} is corrupted (${(e as Error).message})`);
    return null;
  }
}

export function createRunDir(stateRoot: string, runId: string): string {
  mkdirSync(registryDir(stateRoot), { recursive: true, mode: 0o700 });
  const dir = runDir(stateRoot, runId);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Exactly one process gets a claim; a claim whose holder died is taken over. */
export function takeClaim(dir: string, by: ProcessRef, role: ClaimFile['role']): boolean {
  const file = join(dir, 'claim.json');
  const claim: ClaimFile = { by, role, at: new Date().toISOString() };
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(claim));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readJson<ClaimFile>(file);
      if (held && isAlive(held.by)) return held.by.pid === by.pid && held.by.startTime === by.startTime;
      // The holder died mid-post-task (or the claim is unreadable): it is released, and retried once.
      rmSync(file, { force: true });
    }
  }
  return false;
}

export interface RegistryEntry {
  runId: string;
  dir: string;
  run: RegisteredRun | null;
  guardian: GuardianFile | null;
  exit: ExitFile | null;
  lost: LostFile | null;
  claim: ClaimFile | null;
  done: DoneFile | null;
  mtimeMs: number;
  problems: string[];
}

export function readEntry(stateRoot: string, runId: string): RegistryEntry {
  const dir = runDir(stateRoot, runId);
  const problems: string[] = [];
  const bad = (m: string) => problems.push(m);
  let mtimeMs = 0;
  try {
    mtimeMs = statSync(dir).mtimeMs;
  } catch {
    /* vanished */
  }
  return {
    runId,
    dir,
    run: readJson<RegisteredRun>(join(dir, 'run.json'), bad),
    guardian: readJson<GuardianFile>(join(dir, 'guardian.json'), bad),
    exit: readJson<ExitFile>(join(dir, 'exit.json'), bad),
    lost: readJson<LostFile>(join(dir, 'lost.json'), bad),
    claim: readJson<ClaimFile>(join(dir, 'claim.json'), bad),
    done: readJson<DoneFile>(join(dir, 'done.json'), bad),
    mtimeMs,
    problems,
  };
}

export function listEntries(stateRoot: string): RegistryEntry[] {
  const root = registryDir(stateRoot);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .map((n) => readEntry(stateRoot, n))
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
}

export type RunState = 'running' | 'post-task' | 'runner lost' | 'done' | 'done (runner lost)' | 'unknown';

export function stateOf(e: RegistryEntry): RunState {
  if (e.done) return e.done.runnerLost ? 'done (runner lost)' : 'done';
  if (!e.run) return 'unknown';
  if (e.lost || !isAlive(e.run.cli)) return 'runner lost';
  return e.exit ? 'post-task' : 'running';
}

export function markDone(dir: string, done: DoneFile): void {
  writeDurable(join(dir, 'done.json'), done);
}

/** Waits until post-task of the run in `dir` is over (done.json written), whoever does it. */
export async function waitDone(dir: string, pollMs = 250): Promise<DoneFile> {
  for (;;) {
    const d = readJson<DoneFile>(join(dir, 'done.json'));
    if (d) return d;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
