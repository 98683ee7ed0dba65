// After a build: the .debs it downloaded (captured from the overlay's upper layer) go into the host's
// archive cache, complete ones only. A .deb is complete when `dpkg-deb --info` reads its control
// member (a truncated or partial download fails that). A name the cache already holds is left alone:
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
import { join } from 'node:path';
import { run } from '../exec.js';

export interface HarvestResult {
  harvested: { name: string; size: number }[];
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

/** Copies the complete .debs of `fromDirs` (first one found wins per name) into `cacheDir`. */
export async function harvestDebs(fromDirs: string[], cacheDir: string): Promise<HarvestResult> {
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
      if (existsSync(join(cacheDir, name))) {
        res.alreadyCached.push(name);
        continue;
      }
      const bad = await debComplete(src);
      if (bad) {
        res.rejected.push({ name, reason: bad });
        continue;
      }
      const part = join(cacheDir, `.${name}.part`);
      try {
        copyFileSync(src, part);
        renameSync(part, join(cacheDir, name));
        res.harvested.push({ name, size: st.size });
      } catch (e) {
        rmSync(part, { force: true });
        res.rejected.push({ name, reason: `copy failed: ${(e as Error).message}` });
      }
    }
  }
  return res;
}
