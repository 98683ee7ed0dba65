// The load a tune's time predictions are made for: the 1-minute load and steal (cpu-contention.ts)
// and, when this process keeps CPU marks (the tuner agent) or the tune's own window is long enough,
// the other work of the last seconds (cpu-recent.ts), which the model reads in place of load1.
import { cpuContention, type CpuContention } from '../../src/host/proc/cpu-contention.js';
import { recentLoad, type CpuMark } from '../../src/host/proc/cpu-recent.js';

export function loadSeen(
  mark: CpuMark | null,
  nproc: number | undefined,
  opts: { callerPid?: number | null; maxWindowMs?: number } = {},
): CpuContention {
  const c = cpuContention(mark, nproc);
  const recent = recentLoad({
    nproc: c.nproc,
    since: mark,
    ...(opts.callerPid ? { callerPid: opts.callerPid } : {}),
    ...(opts.maxWindowMs !== undefined ? { maxWindowMs: opts.maxWindowMs } : {}),
  });
  return recent ? { ...c, recent } : c;
}
