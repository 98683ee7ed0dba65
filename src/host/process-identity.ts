// A process is identified by PID plus start time, so that a reused PID is never mistaken for ours.
import { readFileSync } from 'node:fs';

/** Start time in clock ticks since boot (field 22 of /proc/PID/stat), or null when the process is gone. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
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
  try {
    const stat = readFileSync(`/proc/${ref.pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] !== 'Z' && Number(rest[19]) === ref.startTime;
  } catch {
    return false;
  }
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
