// Resource probes read straight from /proc and statfs: a sample costs well under a millisecond,
// where systeminformation spawns a shell or df per call (field-notes). All reads are synchronous on
// purpose: each is one small kernel-generated file, and sync avoids a thread-pool hop per read.
import { closeSync, openSync, readSync, statfsSync } from 'node:fs';

/** USER_HZ: the unit of the times in /proc/PID/stat; fixed at 100 by the ABI on every mainstream arch. */
export const CLK_TCK = 100;

// One shared buffer: the files read here are a few KiB at most and are read one at a time.
const buf = Buffer.allocUnsafe(16384);

/** Reads the start of a /proc file (up to 16 KiB) as latin1, or null when it is gone or unreadable. */
export function readProcText(path: string, maxBytes = buf.length): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let n = 0;
    const limit = Math.min(maxBytes, buf.length);
    // seq_file may return less than asked; loop until EOF or the buffer is full.
    for (;;) {
      const r = readSync(fd, buf, n, limit - n, null);
      if (r <= 0) break;
      n += r;
      if (n >= limit) break;
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Finds `key` at a line start in a "Key:   value unit" file and returns the first number after it. */
export function fieldNumber(text: string, key: string): number | null {
  let at = 0;
  if (!text.startsWith(key)) {
    const i = text.indexOf(`\n${key}`);
    if (i < 0) return null;
    at = i + 1;
  }
  const m = /^[^\d\n]*(\d+)/.exec(text.slice(at + key.length, at + key.length + 64));
  return m ? Number(m[1]) : null;
}

// ---- CPU ----------------------------------------------------------------------------------------

export interface CpuTimes {
  busy: number;
  total: number;
}

/** Aggregate CPU times (clock ticks) from the first line of /proc/stat. */
export function readCpuTimes(): CpuTimes {
  const text = readProcText('/proc/stat', 512);
  if (!text) throw new Error('cannot read /proc/stat');
  const line = text.slice(0, text.indexOf('\n'));
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is already in user)
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Busy share of all CPUs between two readings, 0-100. */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number {
  const dt = cur.total - prev.total;
  if (dt <= 0) return 0;
  return clampPct(((cur.busy - prev.busy) / dt) * 100);
}

// ---- memory and load ----------------------------------------------------------------------------

export interface MemoryUsage {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  usedPct: number;
}

/** Memory in use = MemTotal - MemAvailable (page cache that can be dropped does not count as used). */
export function readMemory(): MemoryUsage {
  const text = readProcText('/proc/meminfo', 1024);
  const totalKb = text ? fieldNumber(text, 'MemTotal:') : null;
  const availKb = text ? fieldNumber(text, 'MemAvailable:') : null;
  if (totalKb === null || availKb === null) throw new Error('cannot read MemTotal/MemAvailable from /proc/meminfo');
  const totalBytes = totalKb * 1024;
  const availableBytes = availKb * 1024;
  const usedBytes = Math.max(0, totalBytes - availableBytes);
  return {
    totalBytes,
    availableBytes,
    usedBytes,
    usedPct: totalBytes > 0 ? clampPct((usedBytes / totalBytes) * 100) : 0,
  };
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
  /** PID most recently created in this PID namespace: unchanged means no process was started. */
  lastPid: number;
}

export function readLoadAvg(): LoadAvg {
  const text = readProcText('/proc/loadavg', 256);
  if (!text) throw new Error('cannot read /proc/loadavg');
  const f = text.trim().split(/\s+/);
  return { load1: Number(f[0]), load5: Number(f[1]), load15: Number(f[2]), lastPid: Number(f[4]) };
}

// ---- disks --------------------------------------------------------------------------------------

export interface DiskUsage {
  path: string;
  totalBytes: number;
  usedBytes: number;
  /** Space an unprivileged writer can still use (f_bavail), as df's "Avail". */
  freeBytes: number;
  /** As df's Use%: used / (used + available), so the root-reserved blocks count as unusable. */
  usedPct: number;
}

export function readDiskUsage(path: string): DiskUsage {
  const s = statfsSync(path);
  const usedBytes = (s.blocks - s.bfree) * s.bsize;
  const freeBytes = s.bavail * s.bsize;
  const usable = usedBytes + freeBytes;
  return {
    path,
    totalBytes: s.blocks * s.bsize,
    usedBytes,
    freeBytes,
    usedPct: usable > 0 ? clampPct((usedBytes / usable) * 100) : 0,
  };
}

// ---- one process --------------------------------------------------------------------------------

export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime + cutime + cstime in clock ticks: own CPU plus that of reaped descendants. */
  cpuTicks: number;
  startTime: number;
}

/** Parses /proc/PID/stat; comm may hold spaces and ')' so fields resume after the last ')'. */
export function readPidStat(pid: number): PidStat | null {
  const text = readProcText(`/proc/${pid}/stat`, 2048);
  if (!text) return null;
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): field N is f[N - 3].
  const n = (i: number) => Number(f[i - 3]);
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    state: f[0] ?? '?',
    ppid: n(4),
    cpuTicks: n(14) + n(15) + n(16) + n(17),
    startTime: n(22),
  };
}

/** Resident set size in bytes from /proc/PID/status (absent for zombies and kernel threads). */
export function readProcRss(pid: number): number {
  const text = readProcText(`/proc/${pid}/status`, 4096);
  const kb = text ? fieldNumber(text, 'VmRSS:') : null;
  return kb === null ? 0 : kb * 1024;
}

export interface ProcIo {
  /** Bytes fetched from / sent to the storage layer (read_bytes, write_bytes). */
  readBytes: number;
  writeBytes: number;
}

/** /proc/PID/io (needs ptrace-read access: same user or root); includes reaped children's I/O. */
export function readProcIo(pid: number): ProcIo | null {
  const text = readProcText(`/proc/${pid}/io`, 1024);
  if (!text) return null;
  const r = fieldNumber(text, 'read_bytes:');
  const w = fieldNumber(text, 'write_bytes:');
  if (r === null || w === null) return null;
  return { readBytes: r, writeBytes: w };
}

function clampPct(v: number): number {
  return v < 0 ? 0 : v > 100 ? 100 : v;
}
