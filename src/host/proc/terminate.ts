// Ends the processes that live in a chroot: SIGTERM, a grace period, SIGKILL, death verified.
// Before EVERY signal the pid is re-checked (same start time, root still in the target), so a pid
// reused by an unrelated process is never signalled.
import { type LogLike, silentLog } from '../log-like.js';
import { assertTeardownTarget } from '../guard/path-policy.js';
import { type ProcessInfo, readProcStat, rootedIn } from './proc-scan.js';

export type TerminationOutcome = 'exited' | 'killed' | 'vanished' | 'survived' | 'skipped-reused';

export interface SignalRecord {
  signal: 'SIGTERM' | 'SIGKILL';
  /** ISO time the signal was sent. */
  at: string;
}

export interface TerminationRecord {
  pid: number;
  comm: string;
  cmdline: string;
  signals: SignalRecord[];
  outcome: TerminationOutcome;
  /** Why a process was skipped or survived, when that is not obvious from the outcome. */
  note?: string;
}

export interface TerminateOptions {
  /** The canonical chroot: a process whose root left it is no longer signalled. */
  target: string;
  graceMs?: number;
  /** How long to wait for death after SIGKILL before calling it a survivor. */
  killWaitMs?: number;
  pollMs?: number;
  log?: LogLike;
}

type Check = 'ok' | 'gone' | 'reused' | 'not-rooted';

async function check(p: ProcessInfo, target: string): Promise<Check> {
  const st = await readProcStat(p.pid);
  if (st === null || st.state === 'Z') return 'gone'; // a zombie has released its mounts already
  if (st.startTime !== p.startTime) return 'reused';
  return (await rootedIn(p.pid, target)) !== null ? 'ok' : 'not-rooted';
}

/** Dead, or the pid now names another process (which means ours died). */
async function isDead(p: ProcessInfo): Promise<boolean> {
  const st = await readProcStat(p.pid);
  return st === null || st.state === 'Z' || st.startTime !== p.startTime;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function send(rec: TerminationRecord, signal: SignalRecord['signal'], log: LogLike): boolean {
  try {
    process.kill(rec.pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  rec.signals.push({ signal, at: new Date().toISOString() });
  log.info({ pid: rec.pid, cmdline: rec.cmdline, signal }, `sent ${signal} to ${rec.pid} (${rec.cmdline})`);
  return true;
}

async function waitAll(recs: Array<[ProcessInfo, TerminationRecord]>, ms: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = [];
    for (const pair of recs) if (!(await isDead(pair[0]))) alive.push(pair);
    if (alive.length === 0 || Date.now() >= deadline) return;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** Terminates processes rooted in `opts.target`; returns one record per process, in input order. */
export async function terminateRooted(
  procs: readonly ProcessInfo[],
  opts: TerminateOptions,
): Promise<TerminationRecord[]> {
  assertTeardownTarget(opts.target); // with `/` every process on the host would count as rooted
  const graceMs = opts.graceMs ?? 5000;
  const killWaitMs = opts.killWaitMs ?? Math.max(1000, graceMs);
  const pollMs = opts.pollMs ?? 50;
  const log = opts.log ?? silentLog;
  const pairs = procs.map((p): [ProcessInfo, TerminationRecord] => [
    p,
    { pid: p.pid, comm: p.comm, cmdline: p.cmdline, signals: [], outcome: 'survived' },
  ]);
  const skip = (rec: TerminationRecord, c: Check): void => {
    if (c === 'gone') rec.outcome = rec.signals.length ? 'exited' : 'vanished';
    else if (c === 'reused') rec.outcome = rec.signals.length ? 'exited' : 'skipped-reused';
    else {
      rec.outcome = rec.signals.length ? 'survived' : 'skipped-reused';
      rec.note = 'its root is no longer inside the target: not signalled';
    }
  };

  const termed: Array<[ProcessInfo, TerminationRecord]> = [];
  for (const [p, rec] of pairs) {
    const c = await check(p, opts.target);
    if (c !== 'ok') skip(rec, c);
    else if (send(rec, 'SIGTERM', log)) termed.push([p, rec]);
    else rec.outcome = 'vanished';
  }
  await waitAll(termed, graceMs, pollMs);

  const killed: Array<[ProcessInfo, TerminationRecord]> = [];
  for (const [p, rec] of termed) {
    if (await isDead(p)) {
      rec.outcome = 'exited';
      continue;
    }
    const c = await check(p, opts.target);
    if (c !== 'ok') skip(rec, c);
    else if (send(rec, 'SIGKILL', log)) killed.push([p, rec]);
    else rec.outcome = 'exited';
  }
  await waitAll(killed, killWaitMs, pollMs);
  for (const [p, rec] of killed) {
    rec.outcome = (await isDead(p)) ? 'killed' : 'survived';
    if (rec.outcome === 'survived') {
      rec.note = 'still alive after SIGKILL (uninterruptible sleep?)';
      log.warn({ pid: rec.pid, cmdline: rec.cmdline }, `process ${rec.pid} survived SIGKILL`);
    }
  }
  return pairs.map(([, rec]) => rec);
}
