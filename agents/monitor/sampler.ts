// One Monitor sample from /proc, statfs and the incremental temp tracker. Synchronous and cheap
// (well under a millisecond plus the temp tracker's bounded slice), so a 1 Hz loop costs little.
import {
  cpuPercent,
  readCpuTimes,
  readDiskUsage,
  readLoadAvg,
  readMemory,
  type CpuTimes,
} from '../../src/host/proc/probes.js';
import { statSync } from 'node:fs';
import { ProcessTreeMeter } from '../../src/host/proc/process-tree-usage.js';
import { TempTracker, type TempTrackerOptions } from '../../src/host/walk/temp-tracker.js';

export interface DiskSample {
  path: string;
  usedPct: number;
  freeBytes: number;
}

export interface TempSample {
  path: string;
  bytes: number;
  files: number;
  /** False while the tracker's first walk is unfinished: bytes is then a lower bound. */
  complete: boolean;
  stalenessMs: number | null;
}

export interface BuildSample {
  pid: number;
  procs: number;
  /** Percent of ONE core over the last interval (may exceed 100). */
  cpuPct: number;
  rssBytes: number;
  /** Cumulative storage-layer I/O of the tree since the build started. */
  readBytes: number;
  writeBytes: number;
  alive: boolean;
}

export interface Sample {
  at: number;
  /** Busy share of all CPUs since the previous sample, 0-100. */
  cpuPct: number;
  memPct: number;
  memUsedBytes: number;
  load1: number;
  disks: DiskSample[];
  temp: TempSample | null;
  build?: BuildSample;
  /** Paths that could not be measured this round, with the reason. */
  errors?: string[];
}

export interface SamplerOptions {
  /** Paths whose file systems are watched (statfs), e.g. ['/', '/var/lib/isoswarm/builds']. */
  diskPaths: readonly string[];
  /** Directory whose size is tracked incrementally; null to skip. */
  tempDir: string | null;
  /** Root PID of the build's process tree, when `run` started one. */
  buildPid?: number | null;
  temp?: TempTrackerOptions;
}

export class Sampler {
  private prevCpu: CpuTimes;
  private tracker: TempTracker | null;
  private meter: ProcessTreeMeter | null = null;
  private readonly diskPaths: readonly string[];
  /** Paths watched for a while (a run's chroot), with how many runs asked for each. */
  private readonly extraDisks = new Map<string, number>();

  constructor(opts: SamplerOptions) {
    this.diskPaths = opts.diskPaths;
    this.prevCpu = readCpuTimes();
    this.tracker = opts.tempDir ? new TempTracker(opts.tempDir, opts.temp) : null;
    this.setBuildPid(opts.buildPid ?? null);
  }

  /** Watches the file system of `path` too (once per file system: a path on a watched one adds nothing). */
  addDisk(path: string): boolean {
    const n = this.extraDisks.get(path);
    if (n !== undefined) {
      this.extraDisks.set(path, n + 1);
      return true;
    }
    const dev = deviceOf(path);
    if (dev === null || [...this.diskPaths, ...this.extraDisks.keys()].some((p) => deviceOf(p) === dev)) return false;
    this.extraDisks.set(path, 1);
    return true;
  }

  removeDisk(path: string): void {
    const n = this.extraDisks.get(path);
    if (n === undefined) return;
    if (n > 1) this.extraDisks.set(path, n - 1);
    else this.extraDisks.delete(path);
  }

  /** Starts (or stops, with null) following a build's process tree. */
  setBuildPid(pid: number | null): void {
    this.meter = pid === null ? null : new ProcessTreeMeter(pid);
  }

  sample(at: number = Date.now()): Sample {
    const cpu = readCpuTimes();
    const cpuPct = cpuPercent(this.prevCpu, cpu);
    this.prevCpu = cpu;
    const mem = readMemory();
    const errors: string[] = [];
    const disks: DiskSample[] = [];
    for (const path of [...this.diskPaths, ...this.extraDisks.keys()]) {
      try {
        const d = readDiskUsage(path);
        disks.push({ path, usedPct: d.usedPct, freeBytes: d.freeBytes });
      } catch (err) {
        errors.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    let temp: TempSample | null = null;
    if (this.tracker) {
      this.tracker.tick();
      const u = this.tracker.usage();
      temp = { path: u.path, bytes: u.bytes, files: u.files, complete: u.complete, stalenessMs: u.stalenessMs };
    }
    const s: Sample = {
      at,
      cpuPct,
      memPct: mem.usedPct,
      memUsedBytes: mem.usedBytes,
      load1: readLoadAvg().load1,
      disks,
      temp,
    };
    if (this.meter) {
      const b = this.meter.sample();
      s.build = {
        pid: b.pid,
        procs: b.procs,
        cpuPct: b.cpuPct,
        rssBytes: b.rssBytes,
        readBytes: b.readBytes,
        writeBytes: b.writeBytes,
        alive: b.alive,
      };
    }
    if (errors.length) s.errors = errors;
    return s;
  }

  /** Releases the temp tracker's open directory handle. */
  close(): void {
    this.tracker?.close();
  }
}

function deviceOf(path: string): number | null {
  try {
    return statSync(path).dev;
  } catch {
    return null;
  }
}
