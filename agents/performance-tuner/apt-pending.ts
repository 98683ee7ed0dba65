// Packages a build downloaded while another build still has the apt cache attached. The cache's host
// dir is then that build's overlay lower layer, and a lower layer must not change under a mounted
// overlay (the kernel's overlayfs docs: the result is undefined). So they are checked and staged in a
// tuner-private dir beside the cache, and moved in when the last build lets go of the cache.
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One staging dir per cache dir (by its real path), under the tuner's state. */
export function pendingDirFor(stateDir: string, realCacheDir: string): string {
  const id = createHash('sha256').update(realCacheDir).digest('hex').slice(0, 16);
  const dir = join(stateDir, 'cache', 'apt-pending', id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface PublishResult {
  published: { name: string; size: number }[];
  /** The cache got the same name meanwhile: the host's file is kept, the staged copy dropped. */
  alreadyCached: string[];
  failed: { name: string; reason: string }[];
}

const DEB = /^[A-Za-z0-9.+~%_-]+\.deb$/;

/**
 * Moves every staged package into the cache (a hard link on one file system, else a copy to a hidden
 * part file linked into place; never over a name the cache holds): call only while no build has the cache attached.
 */
export function publishPending(pendingDir: string, cacheDir: string): PublishResult {
  const res: PublishResult = { published: [], alreadyCached: [], failed: [] };
  // Part files a copy killed midway left (a harvest writes its copies as ".<name>.part").
  for (const dir of [pendingDir, cacheDir]) removeStaleParts(dir);
  let names: string[];
  try {
    names = readdirSync(pendingDir).sort();
  } catch {
    return res;
  }
  for (const name of names) {
    if (!DEB.test(name)) continue; // a part file of an interrupted staging, or not ours
    const from = join(pendingDir, name);
    const to = join(cacheDir, name);
    try {
      const st = lstatSync(from);
      if (!st.isFile()) continue;
      if (moveInto(from, to, join(cacheDir, `.${name}.part`))) res.published.push({ name, size: st.size });
      else {
        unlinkSync(from);
        res.alreadyCached.push(name);
      }
    } catch (e) {
      res.failed.push({ name, reason: (e as Error).message });
    }
  }
  return res;
}

/** A link, never a rename: a name the cache holds is never replaced. False when it holds one. */
function removeStaleParts(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names)
    if (/^\..+\.deb\.part$/.test(n))
      try {
        if (lstatSync(join(dir, n)).isFile()) unlinkSync(join(dir, n));
      } catch {
        /* gone meanwhile */
      }
}

function linkNoReplace(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function moveInto(from: string, to: string, part: string): boolean {
  let linked: boolean;
  try {
    linked = linkNoReplace(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    try {
      copyFileSync(from, part);
      linked = linkNoReplace(part, to);
    } finally {
      rmSync(part, { force: true });
    }
  }
  if (linked) unlinkSync(from);
  return linked;
}
