// Over 250 lines on purpose: one realistic run record, sample by sample.
// Realistic run records for the report tests: a debootstrap + apt + mksquashfs build sampled at 1 Hz,
// with a CPU/memory spike in mksquashfs, a disk filling past its threshold, a kill -9 and a teardown.
// Deterministic (seeded), so renderings can be compared between runs.
import { runRecordSchema, type RunRecord, type RunRecordInput } from '../../src/schemas/run-record.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export const CHROOT = '/var/lib/isoswarm/builds/live/chroot';
export const BUILD_DISK = '/var/lib/isoswarm/builds';

export interface FixtureOptions {
  samples?: number;
  start?: number;
  seed?: number;
}

/** A kill -9 of a live-image build after `samples` seconds, sampled once a second. */
export function realisticRecord(o: FixtureOptions = {}): RunRecord {
  const n = o.samples ?? 300;
  const t0 = o.start ?? Date.UTC(2025, 2, 1, 13, 2, 7);
  const rand = rng(o.seed ?? 7);
  const at = (frac: number): number => t0 + Math.round(frac * n) * 1000;
  const iso = (frac: number): string => new Date(at(frac)).toISOString();
  // Phase boundaries as fractions of the run.
  const b = { debootstrap: 0.02, apt: 0.33, squash: 0.7, teardown: 0.965 };
  const samples = [];
  let written = 0;
  for (let i = 0; i < n; i++) {
    const f = i / Math.max(1, n);
    const squash = f >= b.squash && f < b.teardown;
    const spike = squash && f > 0.78 && f < 0.86;
    const base = f < b.debootstrap ? 6 : f < b.apt ? 38 : f < b.squash ? 55 : squash ? 88 : 12;
    const cpuPct = Math.min(100, Math.max(0, base + (rand() - 0.5) * 14 + (spike ? 10 : 0)));
    const memPct = Math.min(99, 33 + f * 24 + (spike ? 40 * Math.sin(((f - 0.78) / 0.08) * Math.PI) : 0) + rand() * 2);
    const fill =
      f < b.squash
        ? 41 + (f / b.squash) * 30
        : f < b.teardown
          ? 71 + ((f - b.squash) / (b.teardown - b.squash)) * 19
          : 90 - (f - b.teardown) * 900;
    written += f < b.teardown ? (squash ? 9 : 4) * MiB * (0.6 + rand() * 0.8) : 0;
    const tempBytes = f < b.teardown ? f * 2.6 * GiB + rand() * 30 * MiB : 0.1 * GiB;
    samples.push({
      at: t0 + i * 1000,
      cpuPct,
      memPct,
      memUsedBytes: (memPct / 100) * 8 * GiB,
      load1: cpuPct / 50,
      disks: [
        { path: '/', usedPct: 62 + f * 3, freeBytes: (1 - (62 + f * 3) / 100) * 100 * GiB },
        { path: BUILD_DISK, usedPct: Math.max(30, fill), freeBytes: (1 - fill / 100) * 40 * GiB },
      ],
      temp: {
        path: '/var/tmp/isoswarm-build',
        bytes: tempBytes,
        files: Math.round(tempBytes / (48 * 1024)),
        complete: i > 3,
        stalenessMs: 40,
      },
      build:
        f < b.teardown
          ? {
              pid: 4242,
              procs: squash ? 3 : 14,
              cpuPct: cpuPct * 1.9,
              rssBytes: (squash ? 1.6 : 0.5) * GiB + rand() * 80 * MiB,
              readBytes: written / 3,
              writeBytes: written,
              alive: true,
            }
          : undefined,
    });
  }
  const diskCross = samples.find((s) => s.disks[1]!.usedPct >= 85);
  const memPeak = samples.reduce((a, s) => (s.memPct > a.memPct ? s : a), samples[0]!);
  const events: RunRecordInput['events'] = [];
  if (diskCross)
    events.push({
      kind: 'alert',
      metric: 'disk',
      subject: BUILD_DISK,
      level: 'warning',
      state: 'warning',
      value: diskCross.disks[1]!.usedPct,
      threshold: 85,
      at: diskCross.at,
    });
  if (memPeak && memPeak.memPct >= 90) {
    events.push({
      kind: 'alert',
      metric: 'memory',
      subject: 'memory',
      level: 'warning',
      state: 'warning',
      value: memPeak.memPct,
      threshold: 90,
      at: memPeak.at - 2000,
    });
    events.push({
      kind: 'recovery',
      metric: 'memory',
      subject: 'memory',
      level: 'warning',
      state: 'ok',
      value: 80.2,
      threshold: 90,
      at: memPeak.at + 9000,
    });
  }
  const killedAt = iso(b.teardown);
  const input: RunRecordInput = {
    runId: '20250301-130207-debian-live',
    name: 'debian-live bookworm amd64',
    command: ['./build.sh', '--suite', 'bookworm', '--arch', 'amd64', '--label', 'Debian Live & Friends'],
    chroot: CHROOT,
    isolate: true,
    host: 'builder-02',
    startedAt: iso(0),
    endedAt: new Date(t0 + n * 1000).toISOString(),
    exitCode: 137,
    signal: 'SIGKILL',
    phases: [
      { name: 'pre-task', startedAt: iso(0), endedAt: iso(b.debootstrap), status: 'ok' },
      { name: 'debootstrap', startedAt: iso(b.debootstrap), endedAt: iso(b.apt), status: 'ok' },
      { name: 'apt install', startedAt: iso(b.apt), endedAt: iso(b.squash), status: 'ok' },
      { name: 'mksquashfs', startedAt: iso(b.squash), endedAt: killedAt, status: 'killed' },
      { name: 'post-task', startedAt: killedAt, endedAt: new Date(t0 + n * 1000).toISOString(), status: 'ok' },
    ],
    tuning: {
      applied: {
        PARALLEL_JOBS: '2',
        MAKEFLAGS: '-j2',
        XZ_DEFAULTS: '-T2',
        ZSTD_NBTHREADS: '2',
        MKSQUASHFS_OPTS: '-comp zstd -Xcompression-level 9 -b 1M -processors 2',
      },
      choice: { compressor: 'zstd', level: 9, blockSize: '1M', processors: 2, mode: 'balanced' },
      predicted: { timeMs: 61_000, sizeBytes: 412 * MiB },
      measured: { timeMs: 57_300, sizeBytes: 405 * MiB },
    },
    samples,
    events,
    teardown: {
      status: 'done',
      target: CHROOT,
      signalled: [
        {
          pid: 5120,
          comm: 'dbus-daemon',
          cmdline: 'dbus-daemon --system --fork',
          outcome: 'exited',
          signals: [{ signal: 'SIGTERM', at: killedAt }],
        },
        {
          pid: 5188,
          comm: 'sleep',
          cmdline: 'sleep infinity',
          outcome: 'killed',
          signals: [
            { signal: 'SIGTERM', at: killedAt },
            { signal: 'SIGKILL', at: new Date(Date.parse(killedAt) + 5000).toISOString() },
          ],
        },
      ],
      unmounted: [`${CHROOT}/dev/pts`, `${CHROOT}/run`, `${CHROOT}/dev`, `${CHROOT}/sys`, `${CHROOT}/proc`],
      attempts: [
        { mountPoint: `${CHROOT}/dev/pts`, fsType: 'devpts', source: 'devpts', strategy: 'umount', ok: true, ms: 2 },
        { mountPoint: `${CHROOT}/run`, fsType: 'tmpfs', source: 'tmpfs', strategy: 'umount', ok: true, ms: 1 },
        {
          mountPoint: `${CHROOT}/dev`,
          fsType: 'devtmpfs',
          source: 'udev',
          strategy: 'umount',
          ok: false,
          ms: 3,
          error: 'target is busy',
        },
        {
          mountPoint: `${CHROOT}/dev`,
          fsType: 'devtmpfs',
          source: 'udev',
          strategy: 'retry-after-kill',
          ok: true,
          ms: 210,
        },
        { mountPoint: `${CHROOT}/sys`, fsType: 'sysfs', source: 'sysfs', strategy: 'umount', ok: true, ms: 1 },
        { mountPoint: `${CHROOT}/proc`, fsType: 'proc', source: 'proc', strategy: 'umount', ok: true, ms: 1 },
      ],
      detachedLoops: [{ device: '/dev/loop3', backingFile: `${CHROOT}/../work/efi.img`, ok: true }],
      holders: [{ pid: 3001, comm: 'less', cmdline: `less ${CHROOT}/var/log/apt/term.log` }],
      foreign: [],
      remaining: [],
      usedLazy: false,
      durationMs: 5_420,
    },
    clean: {
      status: 'partial',
      targets: [
        { path: CHROOT, status: 'deleted', deleted: { files: 31_877, dirs: 4_120, bytes: 1.42 * GiB } },
        { path: '/var/tmp/isoswarm-build', status: 'deleted', deleted: { files: 2_210, dirs: 31, bytes: 0.1 * GiB } },
        {
          path: '/var/cache/apt/archives',
          status: 'refused',
          reason: 'outside the safe prefixes (a host cache)',
          deleted: { files: 0, dirs: 0, bytes: 0 },
        },
      ],
    },
    patternsUpdated: [
      'optimization/unmount-strategies/devtmpfs',
      'optimization/unmount-strategies/proc',
      'optimization/cleanup-success/var-lib-isoswarm-builds',
      'optimization/parallel-config/9f2c1e',
      'optimization/error-prevention',
    ],
    notes: ['The build was killed with SIGKILL during mksquashfs; the teardown ran from the post-task hook.'],
  };
  return runRecordSchema.parse(input);
}

/** A record whose every text field tries to break out of the markup. */
export function hostileRecord(): RunRecord {
  const evil = `</title><script>alert("x")</script><img src=x onerror=alert(1)> & "q" 'a' |pipe| *b* \`tick\``;
  const r = realisticRecord({ samples: 20 });
  return runRecordSchema.parse({
    ...r,
    name: evil,
    command: ['sh', '-c', evil],
    chroot: `/tmp/<chroot> & "x"`,
    host: evil,
    phases: r.phases.map((p) => ({ ...p, name: `${p.name} ${evil}`, status: evil })),
    samples: r.samples.map((s) => ({
      ...s,
      disks: [{ ...s.disks[0]!, path: `/mnt/<disk>"&'` }],
      temp: s.temp && { ...s.temp, path: `/tmp/<t>` },
    })),
    events: [
      {
        kind: 'alert',
        metric: 'disk',
        subject: `/mnt/<disk>"&'`,
        level: evil,
        value: 91,
        threshold: 85,
        at: r.samples[5]!.at,
      },
    ],
    tuning: { applied: { [`EVIL<${evil}`]: evil }, choice: { label: evil }, predicted: null, measured: null },
    teardown: {
      ...r.teardown!,
      target: evil,
      reason: evil,
      signalled: [{ pid: 1, comm: evil, cmdline: evil, outcome: evil, signals: [], note: evil }],
      unmounted: [evil],
      holders: [{ pid: 2, comm: evil, cmdline: evil }],
      foreign: [{ mount: { mountPoint: evil, fsType: 'nfs' }, reason: evil }],
      remaining: [{ mountPoint: evil, fsType: evil, source: evil }],
    },
    clean: {
      status: evil,
      targets: [{ path: evil, status: 'refused', reason: evil, deleted: { files: 0, dirs: 0, bytes: 0 } }],
    },
    patternsUpdated: [evil],
    notes: [evil],
  });
}

/** The smallest valid record: a run that produced nothing but its start. */
export function bareRecord(): RunRecord {
  return runRecordSchema.parse({
    runId: 'bare-1',
    name: 'bare',
    command: ['true'],
    chroot: null,
    isolate: false,
    startedAt: '2025-03-01T13:02:07.000Z',
    endedAt: '2025-03-01T13:02:07.400Z',
    exitCode: 0,
    signal: null,
  });
}
