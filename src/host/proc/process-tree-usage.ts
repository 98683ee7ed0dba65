// CPU, memory and I/O of a build's whole process tree, from /proc. No /proc/PID/task/*/children
// (CONFIG_PROC_CHILDREN is often off), so children are found by ppid; to keep a 1 Hz meter cheap on a
// host with hundreds of processes, only the tree's members and PIDs that are new since the last scan
// are read (a process can only join the tree by being forked by a member, i.e. with a new PID).
import { readdirSync } from 'node:fs';
import { CLK_TCK, readLoadAvg, readProcIo, readProcRss, readPidStat, type PidStat } from './probes.js';

export interface ProcessTreeUsage {
  pid: number;
  /** Live processes in the tree (root included; zombies not yet reaped included). */
  procs: number;
  /** CPU over the last interval in percent of ONE core (a tree busy on 4 cores shows ~400). */
  cpuPct: number;
  /** CPU the tree has used since the root started, reaped descendants included. */
  cpuSeconds: number;
  /** Sum of the members' resident sets (shared pages count once per process). */
  rssBytes: number;
  /** Storage-layer bytes read / written by the tree since the root started, reaped descendants included. */
  readBytes: number;
  writeBytes: number;
  /** False once the root process has exited (or was never found). */
  alive: boolean;
}

interface Member {
  pid: number;
  ppid: number;
  startTime: number;
  cpuTicks: number;
  readBytes: number;
  writeBytes: number;
}

/** PIDs of all thread-group leaders visible in /proc. */
export function listPidsSync(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** Root plus every descendant, parents before children, from one full /proc scan. */
export function processTree(rootPid: number): PidStat[] {
  const stats: PidStat[] = [];
  for (const pid of listPidsSync()) {
    const s = readPidStat(pid);
    if (s) stats.push(s);
  }
  return treeOf(rootPid, null, stats);
}

function treeOf(rootPid: number, rootStart: number | null, stats: Iterable<PidStat>): PidStat[] {
  const byParent = new Map<number, PidStat[]>();
  let root: PidStat | undefined;
  for (const s of stats) {
    if (s.pid === rootPid) root = s;
    const list = byParent.get(s.ppid);
    if (list) list.push(s);
    else byParent.set(s.ppid, [s]);
  }
  if (!root || (rootStart !== null && root.startTime !== rootStart)) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const child of byParent.get(out[i]!.pid) ?? []) if (child.pid !== rootPid) out.push(child);
  }
  return out;
}

/** Samples a process tree; CPU percent is over the time since the previous sample (or construction). */
export class ProcessTreeMeter {
  private members = new Map<number, Member>();
  /** Counters of members that left without being reaped inside the tree (the root, reparented ones). */
  private departed = { cpuTicks: 0, readBytes: 0, writeBytes: 0 };
  private seen = new Set<number>();
  private lastPid = -1;
  private samples = 0;
  private lastAt = 0;
  private lastTicks = 0;
  private readonly rootStart: number | null;

  /** Every `fullScanEvery` samples all of /proc is re-read (catches adoption by a subreaper in the tree). */
  constructor(
    readonly rootPid: number,
    private readonly fullScanEvery = 30,
  ) {
    this.rootStart = readPidStat(rootPid)?.startTime ?? null;
    this.sample();
  }

  sample(nowMs: number = performance.now()): ProcessTreeUsage {
    this.samples++;
    const stats = this.rootStart === null ? [] : this.scan();
    const next = new Map<number, Member>();
    let rssBytes = 0;
    for (const s of stats) {
      const prev = this.members.get(s.pid);
      const io = readProcIo(s.pid);
      next.set(s.pid, {
        pid: s.pid,
        ppid: s.ppid,
        startTime: s.startTime,
        cpuTicks: s.cpuTicks,
        // A zombie's io may be unreadable: keep its last value until it is reaped.
        readBytes: io?.readBytes ?? prev?.readBytes ?? 0,
        writeBytes: io?.writeBytes ?? prev?.writeBytes ?? 0,
      });
      rssBytes += readProcRss(s.pid);
    }
    this.account(next);
    this.members = next;

    let cpuTicks = this.departed.cpuTicks;
    let readBytes = this.departed.readBytes;
    let writeBytes = this.departed.writeBytes;
    for (const m of next.values()) {
      cpuTicks += m.cpuTicks;
      readBytes += m.readBytes;
      writeBytes += m.writeBytes;
    }
    const dtSec = (nowMs - this.lastAt) / 1000;
    const cpuPct = this.samples > 1 && dtSec > 0 ? Math.max(0, (cpuTicks - this.lastTicks) / CLK_TCK / dtSec) * 100 : 0;
    this.lastAt = nowMs;
    this.lastTicks = cpuTicks;
    return {
      pid: this.rootPid,
      procs: next.size,
      cpuPct,
      cpuSeconds: cpuTicks / CLK_TCK,
      rssBytes,
      readBytes,
      writeBytes,
      alive: next.has(this.rootPid),
    };
  }

  /**
   * A member that vanished was reaped by its parent, whose cutime and io then include it, unless no
   * ancestor is still in the tree (the root itself exited): then its last counters are kept aside, as
   * are those of a member that is alive but left the tree (reparented), so the totals never go back.
   */
  private account(next: Map<number, Member>): void {
    for (const old of this.members.values()) {
      const now = next.get(old.pid);
      if (now && now.startTime === old.startTime) continue;
      let absorbed = false;
      const alive = readPidStat(old.pid);
      if (!alive || alive.startTime !== old.startTime) {
        for (let up = this.members.get(old.ppid), hops = 0; up && hops < 4096; up = this.members.get(up.ppid), hops++) {
          if (next.get(up.pid)?.startTime === up.startTime) {
            absorbed = true;
            break;
          }
        }
      }
      if (absorbed) continue;
      this.departed.cpuTicks += old.cpuTicks;
      this.departed.readBytes += old.readBytes;
      this.departed.writeBytes += old.writeBytes;
    }
  }

  /** Members plus processes that may have joined since the last scan. */
  private scan(): PidStat[] {
    const lastPid = readLoadAvg().lastPid;
    const full = this.samples === 1 || this.samples % this.fullScanEvery === 0;
    if (!full && lastPid === this.lastPid) {
      // No process was created: the tree can only have shrunk; re-read the members only.
      const stats: PidStat[] = [];
      for (const m of this.members.values()) {
        const s = readPidStat(m.pid);
        if (s) stats.push(s);
      }
      return treeOf(this.rootPid, this.rootStart, stats);
    }
    const prevLast = this.lastPid;
    this.lastPid = lastPid;
    const isNew = (pid: number) =>
      full ||
      !this.seen.has(pid) ||
      (lastPid >= prevLast ? pid > prevLast && pid <= lastPid : pid > prevLast || pid <= lastPid);
    const pids = listPidsSync();
    const stats: PidStat[] = [];
    for (const pid of pids) {
      if (!this.members.has(pid) && !isNew(pid)) continue;
      const s = readPidStat(pid);
      if (s) stats.push(s);
    }
    this.seen = new Set(pids);
    return treeOf(this.rootPid, this.rootStart, stats);
  }
}
