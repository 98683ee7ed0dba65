// A bootstrapped root kept as a result, the way mock's root cache and pbuilder's base.tgz keep one:
// packed with GNU tar (numeric owners, modes, xattrs, ACLs, device nodes, hard links and sparse files
// kept) into a tarball whose sha256 names it, and unpacked into a fresh target after that sha256 has
// been checked again. Mounts inside the root (debootstrap's /proc, an apt cache overlay) are never
// packed: another file system is skipped by tar, a bind of the same one is refused. Neither are the
// .debs left in var/cache/apt/archives: the root is kept as after `apt-get clean`.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, which } from '../exec.js';
import { isAtOrUnder } from '../fs/paths.js';
import { readMountinfo } from '../mounts/mountinfo.js';

const MAX_ENTRIES = 20_000;
const TAR_KEEP = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Mount points strictly below `target` (its real path). */
async function mountsBelow(target: string): Promise<string[]> {
  return (await readMountinfo()).map((m) => m.mountPoint).filter((p) => p !== target && isAtOrUnder(p, target));
}

/**
 * A target may receive a cached root when it does not exist or holds nothing but directories
 * (mount points are not looked into): a restore then adds files and replaces none.
 */
export async function freshTarget(target: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return { ok: true };
  }
  if (!st.isDirectory()) return { ok: false, reason: `${target} exists and is not a directory` };
  const skip = new Set(await mountsBelow(target));
  const stack = [target];
  let seen = 0;
  while (stack.length) {
    const dir = stack.pop()!;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (++seen > MAX_ENTRIES) return { ok: false, reason: `${target} holds more than ${MAX_ENTRIES} entries` };
      if (skip.has(p)) continue;
      if (!d.isDirectory()) return { ok: false, reason: `${target} is not empty (${p})` };
      stack.push(p);
    }
  }
  return { ok: true };
}

export interface Packed {
  file: string;
  sha256: string;
  bytes: number;
  ms: number;
  compression: 'zstd' | 'gzip';
}

/** Packs the root at `target` into `outBase` + `.tar.zst` (or `.tar.gz` without zstd). */
export async function packRoot(target: string, outBase: string): Promise<Packed> {
  const t0 = performance.now();
  const rootDev = statSync(target).dev;
  for (const m of await mountsBelow(target)) {
    let dev: number | null = null;
    try {
      dev = statSync(m).dev;
    } catch {
      /* unreachable mount point: tar cannot enter it either */
    }
    if (dev === rootDev)
      throw new Error(`${m} is a mount of the root's own file system: its files would be packed into the root`);
  }
  const compression = (await which('zstd')) ? 'zstd' : 'gzip';
  const file = `${outBase}.tar.${compression === 'zstd' ? 'zst' : 'gz'}`;
  const r = await run(
    'tar',
    [
      '--create',
      `--file=${file}`,
      compression === 'zstd' ? '--zstd' : '--gzip',
      '--one-file-system',
      '--sparse',
      // Downloaded packages are not part of the root: the apt cache keeps them (as apt-get clean would).
      '--anchored',
      '--exclude=./var/cache/apt/archives/*.deb',
      '--exclude=./var/cache/apt/archives/partial/*',
      ...TAR_KEEP,
      '--directory',
      target,
      '.',
    ],
    { timeout: 60 * 60_000 },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `tar could not pack ${target} (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
    );
  return {
    file,
    sha256: await sha256File(file),
    bytes: statSync(file).size,
    ms: Math.round(performance.now() - t0),
    compression,
  };
}

/** Checks the tarball against the sha256 that names it. */
export async function verifyTarball(file: string, sha256: string, bytes: number): Promise<string | null> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return `${file} is missing`;
  }
  if (size !== bytes) return `${file} is ${size} bytes, ${bytes} were stored`;
  const got = await sha256File(file);
  return got === sha256 ? null : `${file} has sha256 ${got.slice(0, 16)}…, ${sha256.slice(0, 16)}… was stored`;
}

/** Unpacks a verified tarball into `target` (created when missing; it must have passed freshTarget). */
export async function unpackRoot(file: string, target: string): Promise<number> {
  const t0 = performance.now();
  mkdirSync(target, { recursive: true, mode: 0o755 });
  const r = await run(
    'tar',
    ['--extract', `--file=${file}`, '--same-owner', '--preserve-permissions', ...TAR_KEEP, '--directory', target],
    { timeout: 60 * 60_000 },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `tar could not unpack ${file} (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
    );
  return Math.round(performance.now() - t0);
}
