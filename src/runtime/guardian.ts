// Who supervises this agent: first the coordinator that started it (its parent), later one that
// adopted it. When that coordinator vanishes (kill -9, OOM), the agent keeps serving for a grace
// period so that a new coordinator can adopt it instead of starting a duplicate; if none does, it exits.
import { hostname } from 'node:os';
import { isAlive, refOf, type ProcessRef } from '../host/proc/process-identity.js';
import { BusError } from '../schemas/bus-error.js';

export const DEFAULT_ORPHAN_GRACE_MS = 60_000;

export interface GuardianOptions {
  graceMs: number;
  /** How often the supervisor is checked (default: pollFor(graceMs)). */
  pollMs?: number;
  /** Called once, when the grace period ran out with nobody supervising. */
  onAbandoned: () => void;
  onOrphaned?: (since: number) => void;
  onAdopted?: (by: ProcessRef) => void;
}

export interface Guardian {
  /** A coordinator on this host takes the agent over; refused while the current one lives. */
  adopt(by: ProcessRef, host: string): { supervisor: ProcessRef };
  current(): { supervisor: ProcessRef | null; orphanedSince: number | null };
  stop(): void;
}

export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.ISOSWARM_ORPHAN_GRACE_MS);
  return Number.isFinite(v) && v >= 0 && env.ISOSWARM_ORPHAN_GRACE_MS !== '' ? v : DEFAULT_ORPHAN_GRACE_MS;
}

/**
 * A twentieth of the grace period, within 250 ms - 2 s: an orphan is noticed and leaves within 5 % of
 * its grace. Every wake-up costs an idle agent CPU (a 250 ms poll was a third of the Monitor's idle
 * cost, bench/monitor-bench), so the default 60 s grace polls every 2 s.
 */
export function pollFor(graceMs: number): number {
  return Math.min(2000, Math.max(250, Math.round(graceMs / 20)));
}

export function watchGuardian(opts: GuardianOptions): Guardian {
  // The parent is identified by PID and start time: after a reparenting, ppid names someone else.
  const parentPid = process.ppid;
  let supervisor: ProcessRef | null = refOf(parentPid);
  let isParent = true;
  let orphanedSince: number | null = null;
  let abandoned = false;

  const alive = (): boolean => {
    if (!supervisor) return false;
    // A parent's death re-parents us at its exit (before it is even reaped): while getppid() still
    // names it, it lives, and the poll needs no /proc read (it runs in every agent).
    if (isParent) return process.ppid === parentPid;
    return isAlive(supervisor);
  };

  const pollMs = opts.pollMs ?? pollFor(opts.graceMs);
  const timer = setInterval(() => {
    if (abandoned) return;
    if (alive()) {
      orphanedSince = null;
      return;
    }
    const now = Date.now();
    if (orphanedSince === null) {
      orphanedSince = now;
      supervisor = null;
      isParent = false;
      opts.onOrphaned?.(now);
    }
    if (now - orphanedSince >= opts.graceMs) {
      abandoned = true;
      clearInterval(timer);
      opts.onAbandoned();
    }
  }, pollMs);
  timer.unref();

  return {
    adopt(by, host) {
      if (host !== hostname())
        throw new BusError('refused', `a coordinator on ${host} cannot supervise a process on ${hostname()}`);
      if (!isAlive(by))
        throw new BusError('refused', `process ${by.pid} (start ${by.startTime}) is not alive on this host`);
      if (abandoned) throw new BusError('unavailable', 'this agent is already stopping: its grace period ran out');
      if (supervisor && alive() && (supervisor.pid !== by.pid || supervisor.startTime !== by.startTime)) {
        throw new BusError('locked', `already supervised by the live coordinator pid ${supervisor.pid}`);
      }
      supervisor = by;
      isParent = false;
      orphanedSince = null;
      opts.onAdopted?.(by);
      return { supervisor: by };
    },
    current: () => ({ supervisor: alive() ? supervisor : null, orphanedSince }),
    stop: () => clearInterval(timer),
  };
}
