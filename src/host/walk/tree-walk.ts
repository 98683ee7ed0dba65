// Read-only walk for planners (sizes, cache eviction, temp files, lock files): every non-directory
// below a root, without following symlinks or entering another mount, with an entry budget.
import type { Stats } from 'node:fs';
import { closeFd, fdPath, fstatBig, mountIdOfFd, openDir } from '../fs/dir-fd.js';
import { walkFdTree, type WalkIssue } from './fd-tree.js';
import { isPseudoFs, statfsType } from '../fs/fs-type.js';

export interface ReadWalkOptions {
  /** Stop after this many entries (files and directories); the result says `truncated`. */
  maxEntries?: number;
  concurrency?: number;
  mountPoints?: ReadonlySet<string>;
}

export interface ReadWalkResult {
  files: number;
  dirs: number;
  truncated: boolean;
  skipped: { path: string; reason: string }[];
  errors: WalkIssue[];
}

/** Calls `onFile` for each non-directory (symlinks included, never followed) below `root`. */
export async function walkFiles(
  root: string,
  onFile: (path: string, st: Stats) => void,
  opts: ReadWalkOptions = {},
): Promise<ReadWalkResult> {
  const out: ReadWalkResult = { files: 0, dirs: 0, truncated: false, skipped: [], errors: [] };
  const rootFd = await openDir(root);
  try {
    const type = await statfsType(fdPath(rootFd));
    if (isPseudoFs(type)) throw new Error(`${root} is on a pseudo file system (${type})`);
    const max = opts.maxEntries ?? Infinity;
    const mountPoints = opts.mountPoints;
    const walk = await walkFdTree(
      {
        async file(dir, name, st) {
          out.files++;
          onFile(`${dir.path}/${name}`, st);
        },
        async dirDone() {
          out.dirs++;
        },
      },
      {
        rootFd,
        rootPath: root,
        rootDev: fstatBig(rootFd).dev,
        rootMntId: mountIdOfFd(rootFd),
        concurrency: opts.concurrency,
        mountPoints: mountPoints ? () => mountPoints : undefined,
        stop: () => out.files + out.dirs >= max,
      },
    );
    out.truncated = walk.stopped;
    out.skipped = walk.skipped;
    out.errors = walk.errors;
    return out;
  } finally {
    await closeFd(rootFd);
  }
}
