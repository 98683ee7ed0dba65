// Which packages a chroot has installed, read from its dpkg status file, as the archive file names
// apt gives them (name_version_arch.deb, an epoch's ":" written "%3a"). Through an overlay the
// host's cached .debs are read with O_NOATIME, so their access times cannot show a hit; a package
// the build installed whose .deb the cache already held is one. The path is resolved inside the
// chroot without following any symlink (a chroot's symlink may point at the host).
import { closeSync, constants, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

const MAX_BYTES = 64 << 20;

export function readInside(root: string, rel: string): string | null {
  let cur = realpathSync(root);
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    try {
      if (lstatSync(cur).isSymbolicLink()) return null;
    } catch {
      return null;
    }
  }
  let fd: number;
  try {
    fd = openSync(cur, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(MAX_BYTES);
    let n = 0;
    for (let r = 1; r > 0 && n < MAX_BYTES; n += r) r = readSync(fd, buf, n, MAX_BYTES - n, null);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Archive names of the installed packages; null when the chroot has no readable dpkg status. */
export function installedDebNames(chrootRoot: string): Set<string> | null {
  const text = readInside(chrootRoot, 'var/lib/dpkg/status');
  if (text === null) return null;
  const out = new Set<string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const f = (k: string) => new RegExp(`^${k}: *(.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const [pkg, ver, arch, status] = [f('Package'), f('Version'), f('Architecture'), f('Status')];
    if (!pkg || !ver || !arch || !status?.endsWith(' installed')) continue;
    out.add(`${pkg}_${ver.replace(/:/g, '%3a')}_${arch}.deb`);
  }
  return out;
}
