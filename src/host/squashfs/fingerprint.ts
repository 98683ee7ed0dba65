// The host fingerprint learned settings are stored under: what decides how fast a squashfs step
// runs here (CPU, memory, the build dir's disk and file system, kernel, tool versions). The one-time
// inventory uses systeminformation; the result is kept for the life of the process, so a second
// tune does not pay for it again.
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import si from 'systeminformation';
import { run } from '../exec.js';

export interface ToolVersions {
  mksquashfs: string | null;
  xorriso: string | null;
  zstd: string | null;
  xz: string | null;
}

export interface HostFingerprint {
  /** Short stable hash of everything below except memory headroom and time. */
  id: string;
  cpuModel: string;
  cores: number;
  threads: number;
  memBytes: number;
  disk: { device: string | null; model: string | null; kind: string | null; sizeBytes: number | null };
  fs: { type: string | null; mount: string | null; source: string | null };
  kernel: string;
  os: string;
  tools: ToolVersions;
}

async function version(cmd: string, args: string[], re: RegExp): Promise<string | null> {
  const r = await run(cmd, args);
  if (r.exitCode !== 0 && !r.stdout) return null;
  return re.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? null;
}

export async function toolVersions(): Promise<ToolVersions> {
  const [mksquashfs, xorriso, zstd, xz] = await Promise.all([
    version('mksquashfs', ['-version'], /mksquashfs version ([\d.]+)/),
    version('xorriso', ['-version'], /xorriso ([\d.]+)/),
    version('zstd', ['--version'], /v(\d+\.\d+\.\d+)/),
    version('xz', ['--version'], /xz \(XZ Utils\) ([\d.]+)/),
  ]);
  return { mksquashfs, xorriso, zstd, xz };
}

function mountOf(path: string, mounts: { mount: string }[]): number {
  let best = -1;
  mounts.forEach((m, i) => {
    const prefix = m.mount.endsWith('/') ? m.mount : `${m.mount}/`;
    if (
      (path === m.mount || path.startsWith(prefix)) &&
      (best < 0 || m.mount.length > (mounts[best]?.mount.length ?? 0))
    )
      best = i;
  });
  return best;
}

async function inventory(buildDir: string): Promise<HostFingerprint> {
  const dir = realpathSync(buildDir);
  const [cpu, mem, os, fsList, blocks, tools] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.osInfo(),
    si.fsSize(),
    si.blockDevices(),
    toolVersions(),
  ]);
  const fsIdx = mountOf(dir, fsList);
  const fsEntry = fsIdx >= 0 ? fsList[fsIdx] : undefined;
  // The disk: the block device the file system lives on, or the disk that partition belongs to.
  const devName = fsEntry?.fs.replace(/^\/dev\//, '') ?? '';
  const part = blocks.find((b) => b.name === devName);
  const disk = blocks.find((b) => b.type === 'disk' && devName.startsWith(b.name)) ?? part;
  const base = {
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    cores: cpu.physicalCores || cpu.cores,
    threads: cpu.cores,
    memBytes: mem.total,
    disk: {
      device: disk ? `/dev/${disk.name}` : null,
      model: disk?.model || null,
      kind: disk?.physical || null,
      sizeBytes: disk?.size ?? null,
    },
    fs: { type: fsEntry?.type ?? null, mount: fsEntry?.mount ?? null, source: fsEntry?.fs ?? null },
    kernel: os.kernel,
    os: `${os.distro} ${os.release}`.trim(),
    tools,
  };
  // Memory rounded to GiB: VMs of one size report a few MiB apart, and that changes no setting.
  const stable = { ...base, memBytes: Math.round(base.memBytes / 2 ** 30) };
  const id = createHash('sha256').update(JSON.stringify(stable)).digest('hex').slice(0, 12);
  return { id, ...base };
}

const cache = new Map<number, Promise<HostFingerprint>>();

/**
 * The fingerprint of this host for builds in `buildDir`. The inventory is taken once per process
 * and file system: every dir on the same file system shares one fingerprint (and id).
 */
export function hostFingerprint(buildDir: string): Promise<HostFingerprint> {
  const real = realpathSync(buildDir);
  const key = statSync(real).dev;
  let p = cache.get(key);
  if (!p) {
    p = inventory(real);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
