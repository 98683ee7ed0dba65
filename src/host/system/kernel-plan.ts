// --optimize-system, the plan: kernel settings that help a build (writeback, dentry cache, CPU
// governor, the build disk's I/O scheduler), each read as it is now and judged against its target.
// Settings this machine lacks are planned as unavailable, never faked.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRaw } from './kernel-files.js';

export interface SystemTargets {
  dirtyRatio: number;
  dirtyBackgroundRatio: number;
  vfsCachePressure: number;
  governor: string;
  /** I/O scheduler; 'auto' = none for SSD/NVMe (the device reorders), mq-deadline for disks. */
  ioScheduler: string;
}

/**
 * Defaults: a higher dirty ceiling (40 %) so image writes are not throttled early, background
 * writeback from 5 % so the ceiling is rarely reached, dentries and inodes kept longer (50) because
 * mksquashfs walks the whole tree twice, the performance governor, and a scheduler fit for the disk.
 */
export const DEFAULT_TARGETS: SystemTargets = {
  dirtyRatio: 40,
  dirtyBackgroundRatio: 5,
  vfsCachePressure: 50,
  governor: 'performance',
  ioScheduler: 'auto',
};

export type Kind = 'sysctl' | 'governor' | 'scheduler';

export interface SettingPlan {
  name: string;
  path: string;
  kind: Kind;
  /** Current value as a person reads it ("20", "mq-deadline"); null when unavailable. */
  current: string | null;
  target: string | null;
  action: 'change' | 'keep' | 'unavailable';
  reason: string;
}

export interface CheckpointEntry {
  name: string;
  path: string;
  kind: Kind;
  /** The file's exact bytes before any change (base64) and the value to write back. */
  originalBase64: string;
  restoreValue: string;
}

export interface Checkpoint {
  version: 1;
  createdAt: string;
  pid: number;
  entries: CheckpointEntry[];
}

function selectedScheduler(raw: string): string | null {
  return /\[([^\]]+)\]/.exec(raw)?.[1] ?? null;
}

/** The block device queue dir of the disk holding `dir` (the whole disk, not the partition). */
export function blockQueueDir(dir: string): string | null {
  const dev = statSync(dir).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((Math.floor(dev / 2 ** 20) & 0xfff) << 8);
  if (major === 0) return null; // tmpfs, overlay, btrfs subvolume: no queue of its own
  let sys: string;
  try {
    sys = realpathSync(`/sys/dev/block/${major}:${minor}`);
  } catch {
    return null;
  }
  if (existsSync(join(sys, 'partition'))) sys = dirname(sys);
  return existsSync(join(sys, 'queue', 'scheduler')) ? join(sys, 'queue') : null;
}

function sysctlPlan(name: string, path: string, target: number, guard?: { path: string; label: string }): SettingPlan {
  const raw = readRaw(path);
  if (raw === null)
    return {
      name,
      path,
      kind: 'sysctl',
      current: null,
      target: String(target),
      action: 'unavailable',
      reason: 'not present on this kernel',
    };
  const current = raw.toString().trim();
  const base = { name, path, kind: 'sysctl' as const, current, target: String(target) };
  if (guard && (readRaw(guard.path)?.toString().trim() ?? '0') !== '0') {
    // Writing the ratio would silently zero the host's byte-based setting: leave both alone.
    return { ...base, action: 'keep', reason: `host sets ${guard.label}; left as is` };
  }
  return current === String(target)
    ? { ...base, action: 'keep', reason: 'already at target' }
    : { ...base, action: 'change', reason: `${current} -> ${target}` };
}

export function planSystem(buildDir: string, targets: Partial<SystemTargets> = {}): SettingPlan[] {
  const t = { ...DEFAULT_TARGETS, ...targets };
  const vm = '/proc/sys/vm';
  const plan: SettingPlan[] = [
    sysctlPlan('vm.dirty_ratio', `${vm}/dirty_ratio`, t.dirtyRatio, {
      path: `${vm}/dirty_bytes`,
      label: 'vm.dirty_bytes',
    }),
    sysctlPlan('vm.dirty_background_ratio', `${vm}/dirty_background_ratio`, t.dirtyBackgroundRatio, {
      path: `${vm}/dirty_background_bytes`,
      label: 'vm.dirty_background_bytes',
    }),
    sysctlPlan('vm.vfs_cache_pressure', `${vm}/vfs_cache_pressure`, t.vfsCachePressure),
  ];
  const cpuRoot = '/sys/devices/system/cpu';
  const cpus = existsSync(cpuRoot)
    ? readdirSync(cpuRoot)
        .filter((d) => /^cpu\d+$/.test(d))
        .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    : [];
  const govs = cpus.map((c) => join(cpuRoot, c, 'cpufreq', 'scaling_governor')).filter((p) => existsSync(p));
  if (govs.length === 0) {
    plan.push({
      name: 'cpu governor',
      path: `${cpuRoot}/cpu*/cpufreq/scaling_governor`,
      kind: 'governor',
      current: null,
      target: t.governor,
      action: 'unavailable',
      reason: 'no cpufreq on this machine (common in VMs)',
    });
  }
  for (const path of govs) {
    const name = `cpu governor (${path.split('/')[5]})`;
    const current = readRaw(path)?.toString().trim() ?? null;
    const avail = (readRaw(join(dirname(path), 'scaling_available_governors'))?.toString() ?? '').split(/\s+/);
    if (!avail.includes(t.governor))
      plan.push({
        name,
        path,
        kind: 'governor',
        current,
        target: t.governor,
        action: 'unavailable',
        reason: `governor ${t.governor} not offered`,
      });
    else
      plan.push({
        name,
        path,
        kind: 'governor',
        current,
        target: t.governor,
        action: current === t.governor ? 'keep' : 'change',
        reason: current === t.governor ? 'already at target' : `${current} -> ${t.governor}`,
      });
  }
  const queue = blockQueueDir(buildDir);
  if (!queue) {
    plan.push({
      name: 'io scheduler',
      path: '(none)',
      kind: 'scheduler',
      current: null,
      target: null,
      action: 'unavailable',
      reason: `${buildDir} is not on a block device with a scheduler`,
    });
  } else {
    const path = join(queue, 'scheduler');
    const raw = readRaw(path)?.toString() ?? '';
    const offered = raw.replace(/[[\]]/g, '').trim().split(/\s+/);
    const current = selectedScheduler(raw);
    const rotational = readRaw(join(queue, 'rotational'))?.toString().trim() === '1';
    let target = t.ioScheduler;
    if (target === 'auto') target = rotational ? 'mq-deadline' : offered.includes('none') ? 'none' : 'mq-deadline';
    const name = `io scheduler (${queue.split('/').slice(-2, -1)[0]})`;
    if (current === null || !offered.includes(target))
      plan.push({
        name,
        path,
        kind: 'scheduler',
        current,
        target,
        action: 'unavailable',
        reason: `scheduler ${target} not offered (${offered.join(' ')})`,
      });
    else
      plan.push({
        name,
        path,
        kind: 'scheduler',
        current,
        target,
        action: current === target ? 'keep' : 'change',
        reason: current === target ? 'already at target' : `${current} -> ${target}`,
      });
  }
  return plan;
}
