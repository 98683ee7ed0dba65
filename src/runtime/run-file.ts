// run.json in the state dir: how later CLI calls find the swarm that `isoswarm up` started.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

// Read on every hook call, so checked by hand rather than with zod (whose start-up cost a hook would pay).
export interface ProcRef {
  pid: number;
  startTime: number;
}

export interface RunFile {
  url: string;
  embedded: boolean;
  prefix: string;
  nats: ProcRef | null;
  coordinator: ProcRef | null;
  startedAt: string;
  logFile: string;
}

const isRef = (v: unknown): v is ProcRef | null =>
  v === null ||
  (!!v &&
    typeof v === 'object' &&
    Number.isInteger((v as ProcRef).pid) &&
    typeof (v as ProcRef).startTime === 'number');

export function isRunFile(v: unknown): v is RunFile {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.url === 'string' &&
    typeof r.embedded === 'boolean' &&
    typeof r.prefix === 'string' &&
    isRef(r.nats) &&
    isRef(r.coordinator) &&
    typeof r.startedAt === 'string' &&
    typeof r.logFile === 'string'
  );
}

export function readRunFile(path: string): RunFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as unknown;
    return isRunFile(v) ? v : null;
  } catch {
    return null;
  }
}

/** Written atomically (rename) so a reader never sees half a file. */
export function writeRunFile(path: string, rf: RunFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rf, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeRunFile(path: string): void {
  rmSync(path, { force: true });
}
