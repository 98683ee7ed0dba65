// Real mksquashfs runs: the arguments a compression choice means, the wall time and image size of a
// build, and the cost of reading an image back (what a live system pays at boot).
import { rmSync, statSync } from 'node:fs';
import { run, runOk, which } from '../exec.js';

export type Compressor = 'gzip' | 'xz' | 'zstd' | 'lz4' | 'lzo';

export interface SquashChoice {
  comp: Compressor;
  /** -Xcompression-level (gzip 1..9, zstd 1..22); omitted = the compressor's default. */
  level?: number;
  /** Data block size in bytes; omitted = mksquashfs's 128 KiB. */
  blockSize?: number;
  /** xz only: a branch/call/jump filter (-Xbcj x86) that makes machine code compress better. */
  bcj?: 'x86';
  processors: number;
}

function blockArg(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20}M` : bytes % 1024 === 0 ? `${bytes >> 10}K` : String(bytes);
}

/** The tuning arguments only (no source, image or -noappend), in the order a person would write them. */
export function mksquashfsArgs(c: SquashChoice): string[] {
  const args = ['-comp', c.comp];
  if (c.level !== undefined) args.push('-Xcompression-level', String(c.level));
  if (c.blockSize !== undefined) args.push('-b', blockArg(c.blockSize));
  if (c.bcj !== undefined && c.comp === 'xz') args.push('-Xbcj', c.bcj);
  args.push('-processors', String(c.processors));
  return args;
}

/** A short stable name: "zstd-9/p2", "xz-b1M/p2", "gzip/p1". */
export function choiceLabel(c: SquashChoice): string {
  let s: string = c.comp;
  if (c.level !== undefined) s += `-${c.level}`;
  if (c.blockSize !== undefined) s += `-b${blockArg(c.blockSize)}`;
  if (c.bcj !== undefined && c.comp === 'xz') s += `-bcj${c.bcj}`;
  return `${s}/p${c.processors}`;
}

export interface Timed {
  wallMs: number;
  /** User + system CPU time of the command and its children; null when bash is unavailable. */
  cpuMs: number | null;
}

let bashPath: string | null | undefined;

function parseTimes(out: string): number | null {
  // bash `times`: line 1 the shell itself, line 2 its children ("0m1.234s 0m0.056s").
  const line = out.trim().split('\n').pop() ?? '';
  const m = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec(line.trim());
  if (!m) return null;
  const [, um, us, sm, ss] = m as unknown as [string, string, string, string, string];
  return Math.round((Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000);
}

/**
 * Runs a command (stdout discarded) and measures wall and CPU time. CPU time comes from bash's
 * `times` (getrusage of waited-for children): unlike wall time it barely moves when other work
 * shares the machine, so predictions built on it stay honest on a busy build host.
 */
export async function timedRun(file: string, args: readonly string[]): Promise<Timed> {
  if (bashPath === undefined) bashPath = await which('bash');
  if (!bashPath) {
    const r = await runOk(file, args, { stdout: 'ignore' });
    return { wallMs: r.durationMs, cpuMs: null };
  }
  const script = '"$0" "$@" >/dev/null; s=$?; times; exit $s';
  const r = await run(bashPath, ['-c', script, file, ...args]);
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`);
  return { wallMs: r.durationMs, cpuMs: parseTimes(r.stdout) };
}

export interface SquashBuild extends Timed {
  imageBytes: number;
}

/** Builds `out` from `src` with a fresh image (-noappend); throws with mksquashfs's message on failure. */
export async function buildSquashfs(
  src: string,
  out: string,
  c: SquashChoice,
  extraArgs: string[] = [],
): Promise<SquashBuild> {
  const args = [src, out, '-noappend', '-no-progress', '-quiet', ...mksquashfsArgs(c), ...extraArgs];
  const t = await timedRun('mksquashfs', args);
  return { ...t, imageBytes: statSync(out).size };
}

/**
 * Read-back cost: decompresses every block of the image with one processor and discards it
 * (`unsquashfs -pf /dev/null` writes a pseudo-file dump with inline data, so nothing touches a
 * file system). One processor makes this the CPU a reader pays, independent of its core count.
 */
export async function readBackCost(image: string): Promise<Timed> {
  return timedRun('unsquashfs', ['-n', '-processors', '1', '-pf', '/dev/null', image]);
}

/** Fixed cost of one mksquashfs run (startup, tables, padding): the best of a few empty builds. */
export async function fixedOverheadMs(emptyDir: string, out: string, c: SquashChoice, runs = 3): Promise<Timed> {
  let wallMs = Infinity;
  let cpuMs: number | null = Infinity;
  for (let i = 0; i < runs; i++) {
    const b = await buildSquashfs(emptyDir, out, c);
    wallMs = Math.min(wallMs, b.wallMs);
    cpuMs = b.cpuMs === null || cpuMs === null ? null : Math.min(cpuMs, b.cpuMs);
  }
  rmSync(out, { force: true });
  return { wallMs, cpuMs };
}
