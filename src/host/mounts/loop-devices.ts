// Loop devices and the files behind them. Only a device backed by a file inside the target and no
// longer mounted anywhere is ever detached; the user's other loop devices are left alone.
import { readdir, readFile } from 'node:fs/promises';
import { run } from '../exec.js';
import { type MountEntry, readMountinfo } from './mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';
import { stripDeleted } from '../proc/proc-scan.js';
import { assertTeardownTarget } from '../guard/path-policy.js';

export interface LoopDevice {
  /** e.g. /dev/loop3 */
  name: string;
  /** Absolute path of the backing file as seen from our root (" (deleted)" stripped), null if unknown. */
  backingFile: string | null;
  major: number;
  minor: number;
  /** major:minor of the device and of each of its partitions (loop3p1, ...). */
  devNumbers: string[];
  /** Device-mapper or md devices stacked on it (a busy device is never detached). */
  holders: string[];
}

async function text(p: string): Promise<string | null> {
  try {
    return (await readFile(p, 'utf8')).replace(/\n$/, '');
  } catch {
    return null;
  }
}

async function fromSysfs(): Promise<LoopDevice[] | null> {
  let names: string[];
  try {
    names = (await readdir('/sys/block')).filter((n) => /^loop[0-9]+$/.test(n));
  } catch {
    return null;
  }
  const out: LoopDevice[] = [];
  for (const n of names) {
    const back = await text(`/sys/block/${n}/loop/backing_file`);
    if (back === null) continue; // not attached
    const dev = (await text(`/sys/block/${n}/dev`)) ?? '';
    const [maj, min] = dev.split(':').map(Number);
    const entries = await readdir(`/sys/block/${n}`).catch(() => [] as string[]);
    const devNumbers = [dev];
    for (const part of entries.filter((e) => e.startsWith(`${n}p`))) {
      const d = await text(`/sys/block/${n}/${part}/dev`);
      if (d) devNumbers.push(d);
    }
    out.push({
      name: `/dev/${n}`,
      backingFile: back.startsWith('/') ? stripDeleted(back) : null,
      major: maj ?? -1,
      minor: min ?? -1,
      devNumbers,
      holders: await readdir(`/sys/block/${n}/holders`).catch(() => [] as string[]),
    });
  }
  return out;
}

async function fromLosetup(): Promise<LoopDevice[]> {
  const r = await run('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE,MAJ:MIN']);
  if (r.exitCode !== 0 || r.stdout.trim() === '') return [];
  const parsed = JSON.parse(r.stdout) as { loopdevices?: Array<Record<string, string | null>> };
  return (parsed.loopdevices ?? []).map((d) => {
    const dev = d['maj:min'] ?? '';
    const [maj, min] = dev.split(':').map(Number);
    const back = d['back-file'] ?? null;
    return {
      name: d.name ?? '',
      backingFile: back && back.startsWith('/') ? stripDeleted(back) : null,
      major: maj ?? -1,
      minor: min ?? -1,
      devNumbers: [dev],
      holders: [],
    };
  });
}

/** Attached loop devices, from sysfs (exact paths, no parsing of tool output) or losetup. */
export async function listLoopDevices(): Promise<LoopDevice[]> {
  return (await fromSysfs()) ?? fromLosetup();
}

/** Whether the device or one of its partitions is mounted (by device number or by source name). */
export function isLoopMounted(loop: LoopDevice, mounts: readonly MountEntry[]): boolean {
  return mounts.some(
    (m) =>
      loop.devNumbers.includes(`${m.major}:${m.minor}`) ||
      m.source === loop.name ||
      m.source.startsWith(`${loop.name}p`),
  );
}

/** Loop devices whose backing file lies inside the target (mounted or not). */
export async function loopsBackedUnder(realTarget: string, loops?: readonly LoopDevice[]): Promise<LoopDevice[]> {
  const all = loops ?? (await listLoopDevices());
  return all.filter((l) => l.backingFile !== null && isAtOrUnder(l.backingFile, realTarget));
}

export interface DetachResult {
  device: string;
  backingFile: string | null;
  ok: boolean;
  error?: string;
}

/** Detaches `dev` after re-checking, right now, that it is backed inside the target, unmounted and unheld. */
export async function detachLoop(dev: string, realTarget: string): Promise<DetachResult> {
  assertTeardownTarget(realTarget);
  if (!/^\/dev\/loop[0-9]+$/.test(dev))
    return { device: dev, backingFile: null, ok: false, error: 'not a loop device name' };
  const loop = (await listLoopDevices()).find((l) => l.name === dev);
  if (!loop) return { device: dev, backingFile: null, ok: true, error: 'already detached' };
  const fail = (error: string): DetachResult => ({ device: dev, backingFile: loop.backingFile, ok: false, error });
  if (loop.backingFile === null || !isAtOrUnder(loop.backingFile, realTarget))
    return fail('backing file is not inside the target');
  if (isLoopMounted(loop, await readMountinfo())) return fail('still mounted');
  if (loop.holders.length > 0) return fail(`held by ${loop.holders.join(', ')}`);
  const r = await run('losetup', ['--detach', dev], { timeout: 30_000 });
  if (r.exitCode !== 0) return fail(r.stderr.trim() || `losetup exited ${r.exitCode}`);
  return { device: dev, backingFile: loop.backingFile, ok: true };
}
