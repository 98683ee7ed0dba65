// A process is identified by PID plus start time, so that a reused PID is never mistaken for ours.
import { readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat isoswarm uses. */
export interface ProcStatFields {
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot (field 22). */
  startTime: number;
}

/** Parses /proc/PID/stat text; comm may hold spaces and parentheses, so fields resume after the last ')'. */
export function parseStatFields(text: string): ProcStatFields | null {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(f[19]);
  if (!f[0] || !Number.isFinite(startTime)) return null;
  return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), startTime };
}

/** null when the process is gone. */
export function readStatFields(pid: number): ProcStatFields | null {
  try {
    return parseStatFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Start time in clock ticks since boot, or null when the process is gone. */
export function processStartTime(pid: number): number | null {
  return readStatFields(pid)?.startTime ?? null;
}

export interface ProcessRef {
  pid: number;
  startTime: number;
}

export function refOf(pid: number): ProcessRef | null {
  const startTime = processStartTime(pid);
  return startTime === null ? null : { pid, startTime };
}

/** True while the very process of `ref` lives (not a zombie, not a reused PID). */
export function isAlive(ref: ProcessRef): boolean {
  const st = readStatFields(ref.pid);
  return !!st && st.state !== 'Z' && st.startTime === ref.startTime;
}

/** Signals `ref` only if it is still the same process; returns whether the signal was sent. */
export function signalIfSame(ref: ProcessRef, signal: NodeJS.Signals): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export async function waitForExit(ref: ProcessRef, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(ref)) return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return !isAlive(ref);
}
