// The archive's own word on a package file: the Packages indexes apt left in a chroot's
// var/lib/apt/lists (uncompressed, as apt keeps them by default) give each .deb's size and sha256.
// A harvested download is kept only when it matches them. Read without following any symlink of the
// chroot (one may point at the host).
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { readInside } from './dpkg-status.js';

export interface IndexedDeb {
  size: number;
  sha256: string;
}

/** Archive file name → every (size, sha256) the indexes give it; null when no index is at hand. */
export type PackagesIndex = Map<string, IndexedDeb[]>;

const LISTS = 'var/lib/apt/lists';

function listsDir(root: string): string | null {
  let cur = realpathSync(root);
  for (const part of LISTS.split('/')) {
    cur = join(cur, part);
    try {
      if (!lstatSync(cur).isDirectory()) return null;
    } catch {
      return null;
    }
  }
  return cur;
}

export function parsePackages(text: string, into: PackagesIndex = new Map()): PackagesIndex {
  for (const stanza of text.split(/\n\s*\n/)) {
    const f = (k: string) => new RegExp(`^${k}: *(.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const file = f('Filename');
    const size = Number(f('Size'));
    const sha256 = f('SHA256')?.toLowerCase();
    if (!file || !Number.isSafeInteger(size) || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    const name = file.slice(file.lastIndexOf('/') + 1);
    const list = into.get(name) ?? [];
    if (!list.some((e) => e.sha256 === sha256)) list.push({ size, sha256 });
    into.set(name, list);
  }
  return into;
}

/** The chroot's Packages indexes merged; null when it has none. */
export function chrootPackagesIndex(chrootRoot: string): PackagesIndex | null {
  const dir = listsDir(chrootRoot);
  if (!dir) return null;
  const index: PackagesIndex = new Map();
  let files = 0;
  for (const n of readdirSync(dir)) {
    if (!n.endsWith('_Packages')) continue;
    const text = readInside(chrootRoot, `${LISTS}/${n}`);
    if (text === null) continue;
    parsePackages(text, index);
    files++;
  }
  return files ? index : null;
}
