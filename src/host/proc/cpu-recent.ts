// Who else wants the CPU in the seconds before a build starts: the busy share of all CPUs since a
// recent mark of /proc/stat, less this process's own CPU (its reaped children, e.g. sample runs,
// included) and less the caller's (a shim waiting for the answer). The 1-minute load average also
// counts work that has already finished — a build's own apt phase just before its mksquashfs call —
// and trails a change by a minute; a build of a few seconds meets the competition of the last few.
// Marks are taken every 250 ms by a long-lived process (one small read each); a window starts after
// the caller started, so the caller's build steps before the call are never counted.
import { cpuStatMark, type CpuStatMark, type RecentLoad } from './cpu-contention.js';
import { CLK_TCK, readPidStat, readProcText } from './probes.js';

export type { RecentLoad };

export interface CpuMark extends CpuStatMark {
  ms: number;
  /** This process's CPU ticks, its reaped children included. */
  selfTicks: number;
}

export interface RecentOptions {
  nproc: number;
  /** A mark of this process (e.g. taken when the request arrived); used when no ring mark fits. */
  since?: CpuMark | null;
  /** The requesting process: the window starts after it started, and its own CPU is left out. */
  callerPid?: number | null;
  /** Longest window (default 3 s); Infinity: from `since` (a tune's whole measuring window). */
  maxWindowMs?: number;
  marks?: readonly CpuMark[];
}

const MS_PER_TICK = 1000 / CLK_TCK;
/** Below this many ticks of all CPUs the shares say nothing (0.1 s of one CPU). */
const MIN_TICKS = 10;
/** Idle plus steal share below which busy time stops showing all demand (fully at 0). */
const SATURATED = 0.2;

/** A mark of /proc/stat and of this process's CPU; null when /proc cannot be read. */
export function cpuMark(): CpuMark | null {
  const m = cpuStatMark();
  const self = readPidStat(process.pid);
  if (!m || !self) return null;
  return { ...m, selfTicks: self.cpuTicks };
}

const ring: CpuMark[] = [];
let timer: NodeJS.Timeout | null = null;
const KEEP_MS = 4000;

/** Starts keeping marks every `periodMs` in this process (a long-lived agent); idempotent. */
export function startCpuHistory(periodMs = 250): void {
  if (timer) return;
  const tick = () => {
    const m = cpuMark();
    if (!m) return;
    ring.push(m);
    while (ring.length > 1 && (ring[0] as CpuMark).ms < m.ms - KEEP_MS) ring.shift();
  };
  tick();
  timer = setInterval(tick, periodMs);
  timer.unref();
}

export function stopCpuHistory(): void {
  if (timer) clearInterval(timer);
  timer = null;
  ring.length = 0;
}

/** The marks kept so far, oldest first. */
export function cpuHistory(): readonly CpuMark[] {
  return ring;
}

/** When `pid` started, in performance.now() ms, and its CPU ticks so far (null when it is gone). */
function callerInfo(pid: number, nowMs: number): CallerSeen | null {
  const s = readPidStat(pid);
  const up = readProcText('/proc/uptime', 128);
  if (!s || !up) return null;
  const uptimeS = Number(up.split(' ')[0]);
  if (!Number.isFinite(uptimeS)) return null;
  const ageMs = Math.max(0, uptimeS * 1000 - s.startTime * MS_PER_TICK);
  return { startMs: nowMs - ageMs, ticks: s.cpuTicks };
}

/** The other work of the last seconds; null when no window long enough is known (use load1 then). */
export function recentLoad(o: RecentOptions): RecentLoad | null {
  const now = cpuMark();
  if (!now) return null;
  const caller = o.callerPid ? callerInfo(o.callerPid, now.ms) : null;
  return recentLoadFrom([...(o.marks ?? ring), ...(o.since ? [o.since] : [])], now, caller, o);
}

/** The caller as the window sees it: when it started (performance.now() ms) and its CPU ticks. */
export interface CallerSeen {
  startMs: number;
  ticks: number;
}

/** Pure: the other work between the best mark and `now` (see recentLoad). */
export function recentLoadFrom(
  marks: readonly CpuMark[],
  now: CpuMark,
  caller: CallerSeen | null,
  o: Pick<RecentOptions, 'nproc' | 'maxWindowMs'>,
): RecentLoad | null {
  const maxWindow = o.maxWindowMs ?? 3000;
  // The earliest mark inside the window that is not older than the caller: the longest clean window.
  let start: CpuMark | null = null;
  for (const m of marks) {
    if (m.ms >= now.ms || now.ms - m.ms > maxWindow) continue;
    if (caller && m.ms < caller.startMs) continue;
    if (!start || m.ms < start.ms) start = m;
  }
  if (!start) return null;
  const from = start;
  const dt = now.total - from.total;
  if (dt < MIN_TICKS) return null;
  const windowMs = now.ms - from.ms;
  const free = now.idle - from.idle + (now.steal - from.steal);
  const busy = Math.max(0, dt - free);
  const self = Math.max(0, now.selfTicks - from.selfTicks);
  // The caller's CPU since its start, the part inside the window by time (it started before the mark).
  const callerTicks = caller ? caller.ticks * Math.min(1, windowMs / Math.max(1, now.ms - caller.startMs)) : 0;
  const others = Math.max(0, busy - self - callerTicks);
  const busyCpus = (others / dt) * o.nproc;
  // Busy time shows served demand only: as the CPUs fill up, more may have been waiting. The runnable
  // tasks seen at the marks (less the reader) then weigh in, fully once idle and steal are gone.
  const seen = [...marks.filter((m) => m.ms >= from.ms && m.ms < now.ms), now].map((m) =>
    Math.max(0, m.procsRunning - 1),
  );
  const runnable = seen.reduce((a, b) => a + b, 0) / seen.length;
  const full = Math.min(1, Math.max(0, 1 - free / dt / SATURATED));
  const load = busyCpus + full * Math.max(0, runnable - busyCpus);
  return {
    load: round3(load),
    windowMs: Math.round(windowMs),
    busyShare: round3(busy / dt),
    selfMs: Math.round(self * MS_PER_TICK),
    callerMs: Math.round(callerTicks * MS_PER_TICK),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
