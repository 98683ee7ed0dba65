// After a build: the .debs it downloaded (captured from the overlay's upper layer) go into the host's
// archive cache, complete ones only. A package the chroot's Packages indexes name must have exactly
// the size and sha256 they give (the archive's word). Without an index entry, a .deb is complete when
// `dpkg-deb --info` reads its control member (a truncated or partial download fails that). A name the cache already holds is left alone:
// the host's file is never replaced by a build's. `dpkg-deb --info` alone accepts a download cut
// after its control member, so the ar archive's member sizes must also add up to the file's size.
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec.js';
import type { PackagesIndex } from './apt-index.js';

export interface HarvestResult {
  harvested: { name: string; size: number; check: 'packages-sha256' | 'dpkg-deb' }[];
  rejected: { name: string; reason: string }[];
  alreadyCached: string[];
}

const DEB_NAME = /^[A-Za-z0-9.+~%_-]+\.deb$/;

/** Walks the ar headers: null when debian-binary, control and data members end exactly at EOF. */
export function arComplete(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const hdr = Buffer.alloc(60);
    if (readSync(fd, hdr, 0, 8, 0) !== 8 || hdr.toString('latin1', 0, 8) !== '!<arch>\n') return 'not an ar archive';
    let off = 8;
    const names: string[] = [];
    while (off < size) {
      if (readSync(fd, hdr, 0, 60, off) !== 60) return `truncated inside a member header at ${off}`;
      const len = Number(hdr.toString('latin1', 48, 58).trim());
      if (!Number.isSafeInteger(len) || len < 0) return `bad member size at ${off}`;
      names.push(hdr.toString('latin1', 0, 16).trim());
      off += 60 + len + (len % 2);
      if (off > size + 1) return `truncated: member ${names[names.length - 1]} needs ${off - size} more bytes`;
    }
    if (names.length < 3 || names[0] !== 'debian-binary' || !names.some((n) => n.startsWith('data.tar')))
      return `members ${names.join(', ')}: not a complete package`;
    return null;
  } finally {
    closeSync(fd);
  }
}

export async function debComplete(path: string): Promise<string | null> {
  const ar = arComplete(path);
  if (ar) return ar;
  const r = await run('dpkg-deb', ['--info', path], { timeout: 60_000 });
  return r.exitCode === 0
    ? null
    : `dpkg-deb --info failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.exitCode}`}`;
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Null when the file is what the index says it is; the mismatch otherwise. */
export async function indexMismatch(
  path: string,
  size: number,
  entries: readonly { size: number; sha256: string }[],
): Promise<string | null> {
  if (!entries.some((e) => e.size === size))
    return `${size} bytes, the Packages index says ${entries.map((e) => e.size).join(' or ')}`;
  const sha = await sha256Of(path);
  return entries.some((e) => e.size === size && e.sha256 === sha)
    ? null
    : `sha256 ${sha.slice(0, 16)}… is not the one the Packages index gives`;
}

/**
 * Copies the complete .debs of `fromDirs` (first one found wins per name) into `into` (the cache, or
 * a dir where they wait for it); those `index` names only when they match it. A name `cacheDir` or
 * `into` holds is left alone.
 */
export async function harvestDebs(
  fromDirs: string[],
  cacheDir: string,
  index: PackagesIndex | null = null,
  into = cacheDir,
): Promise<HarvestResult> {
  const res: HarvestResult = { harvested: [], rejected: [], alreadyCached: [] };
  const seen = new Set<string>();
  for (const dir of fromDirs) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.deb') || seen.has(name)) continue;
      seen.add(name);
      const src = join(dir, name);
      const st = lstatSync(src);
      if (!st.isFile()) continue;
      if (!DEB_NAME.test(name)) {
        res.rejected.push({ name, reason: 'not a package file name' });
        continue;
      }
      if (existsSync(join(cacheDir, name)) || existsSync(join(into, name))) {
        res.alreadyCached.push(name);
        continue;
      }
      const indexed = index?.get(name);
      const bad = indexed ? await indexMismatch(src, st.size, indexed) : await debComplete(src);
      if (bad) {
        res.rejected.push({ name, reason: bad });
        continue;
      }
      const part = join(into, `.${name}.part`);
      try {
        copyFileSync(src, part);
        renameSync(part, join(into, name));
        res.harvested.push({ name, size: st.size, check: indexed ? 'packages-sha256' : 'dpkg-deb' });
      } catch (e) {
        rmSync(part, { force: true });
        res.rejected.push({ name, reason: `copy failed: ${(e as Error).message}` });
      }
    }
  }
  return res;
}
