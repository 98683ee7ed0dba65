// How much a delete would free, for `--dry-run` plans: counted without following symlinks or
// crossing into other mounts (what deleteTree would actually reach).
import { walkFiles } from './tree-walk.js';

export interface TreeSize {
  files: number;
  dirs: number;
  /** Apparent size (st_size) of the non-directories. */
  bytes: number;
  /** The entry budget ran out: the numbers are a lower bound. */
  truncated: boolean;
  /** Directories not entered because they are mount points or on another device. */
  skipped: { path: string; reason: string }[];
}

export async function treeSize(path: string, opts: { maxEntries?: number } = {}): Promise<TreeSize> {
  let bytes = 0;
  const r = await walkFiles(
    path,
    (_p, st) => {
      bytes += st.size;
    },
    { maxEntries: opts.maxEntries },
  );
  return { files: r.files, dirs: r.dirs, bytes, truncated: r.truncated, skipped: r.skipped };
}
