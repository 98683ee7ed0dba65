// How much CPU a new process can expect right now: the processors online, the 1-minute load average
// (runnable and uninterruptible tasks), the instantaneous runnable count, and the share of CPU time
// the hypervisor took (steal) between two readings of /proc/stat. A build's wall time is its CPU time
// divided by the parallelism it actually gets, and that depends on these at the moment it starts.
import { availableParallelism } from 'node:os';
import { readLoadAvg, readProcText } from './probes.js';

export interface CpuStatMark {
  /** Clock ticks of all CPUs, and of steal and idle (idle + iowait), since boot. */
  total: number;
  steal: number;
  idle: number;
  procsRunning: number;
}

/** Other work over the seconds before a decision (cpu-recent.ts). */
export interface RecentLoad {
  /** Other work in CPUs over the window (its runnable tasks, when the CPUs were saturated). */
  load: number;
  windowMs: number;
  /** Busy share of all CPUs over the window, everything included. */
  busyShare: number;
  /** CPU of this process and of the caller inside the window, left out of `load`. */
  selfMs: number;
  callerMs: number;
}

export interface CpuContention {
  nproc: number;
  load1: number;
  load5: number;
  /** Runnable tasks (from /proc/stat), the reader itself excluded; the mean of the readings. */
  procsRunning: number;
  /** Steal share of CPU time between the two readings (0 when they are too close to tell). */
  stealShare: number;
  /** Idle share between the two readings, or null when they are too close to tell. */
  idleShare: number | null;
  windowMs: number;
  at: string;
  /** Other work over the last seconds (cpu-recent.ts), when a window was known. */
  recent?: RecentLoad | null;
}

/** One reading of /proc/stat's aggregate line and procs_running; null when it cannot be read. */
export function cpuStatMark(): (CpuStatMark & { ms: number }) | null {
  const text = readProcText('/proc/stat', 16384);
  if (!text) return null;
  const line = text.slice(0, text.indexOf('\n'));
  // cpu user nice system idle iowait irq softirq steal
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 8 || v.some((x) => !Number.isFinite(x))) return null;
  const m = /\nprocs_running (\d+)/.exec(text);
  return {
    total: v.reduce((a, b) => a + b, 0),
    steal: v[7] ?? 0,
    idle: (v[3] ?? 0) + (v[4] ?? 0),
    procsRunning: m ? Number(m[1]) : 0,
    ms: performance.now(),
  };
}

/** Processors this process may run on (affinity), at least 1. */
export function onlineProcessors(): number {
  return Math.max(1, availableParallelism());
}

/** Ticks below which two readings say nothing about shares (about 0.1 s of one CPU at USER_HZ 100). */
const MIN_TICKS = 10;

/** The contention now, with shares measured since `since` (a mark taken earlier, e.g. at a call's start). */
export function cpuContention(since: (CpuStatMark & { ms: number }) | null, nproc = onlineProcessors()): CpuContention {
  const now = cpuStatMark();
  let load1 = 0;
  let load5 = 0;
  try {
    const l = readLoadAvg();
    load1 = l.load1;
    load5 = l.load5;
  } catch {
    /* not Linux: no load known */
  }
  const dt = since && now ? now.total - since.total : 0;
  const runs = [since?.procsRunning, now?.procsRunning].filter((x): x is number => typeof x === 'number');
  const running = runs.length ? runs.reduce((a, b) => a + b, 0) / runs.length : 0;
  return {
    nproc,
    load1,
    load5,
    procsRunning: Math.max(0, running - 1),
    stealShare: dt >= MIN_TICKS && since && now ? Math.max(0, Math.min(1, (now.steal - since.steal) / dt)) : 0,
    idleShare: dt >= MIN_TICKS && since && now ? Math.max(0, Math.min(1, (now.idle - since.idle) / dt)) : null,
    windowMs: since && now ? Math.round(now.ms - since.ms) : 0,
    at: new Date().toISOString(),
  };
}
