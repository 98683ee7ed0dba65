// Starting a delete's finds before its move-aside: each find's exec chain and mount namespace take
// milliseconds (many more on a loaded machine), which would otherwise come after the deleter's own
// checks. Safe because nothing is removed before "go", and "go" still needs every check of
// bulk-find.ts, made afterwards on the tree moved aside: the child's working directory is that
// tree by "dev:ino" and by path in its own namespace, nothing is mounted at or under it there,
// and nothing on the host either. A host mount made after the namespace was copied is never in it;
// the host check before "go" stops every find for it.
import { closeSync } from 'node:fs';
import { basename } from 'node:path';
import { findsFor } from './bulk-choice.js';
import { bulkTools, bulkUnavailable } from './find-child.js';
import { startFinds, type FindSet, type StartHooks } from './find-set.js';
import { fileIdOfFd } from '../fs/open-nofollow.js';
import { openDirAtSync } from '../fs/open-nofollow-sync.js';
import { mountIdOfFd } from '../fs/dir-fd.js';

export interface EarlyChoice {
  fileId: string;
  method?: 'auto' | 'walker';
  mountPoints?: Set<string>;
  expectedEntries?: number;
  bulkHooks?: StartHooks;
}

/**
 * The finds deleteTreeIn will want for `realPath` (an entry of `parentFd`), started now in it;
 * undefined when it will want none, or the tree is not the planned one (the move-aside refuses).
 */
export async function startFindsEarly(
  parentFd: number,
  realPath: string,
  o: EarlyChoice,
): Promise<FindSet | undefined> {
  if ((o.method ?? 'auto') !== 'auto' || (o.mountPoints?.size ?? 0) > 0) return undefined;
  const k = findsFor(o.expectedEntries);
  const t = bulkUnavailable() === null ? bulkTools() : null;
  if (k === 0 || !t) return undefined;
  let fd: number;
  try {
    fd = openDirAtSync(parentFd, basename(realPath));
  } catch {
    return undefined;
  }
  try {
    if (fileIdOfFd(fd) !== o.fileId || mountIdOfFd(fd) !== mountIdOfFd(parentFd)) return undefined;
    // Each child enters the folder at its start (the fd may be closed once spawn returned).
    return await startFinds(t, fd, k, o.bulkHooks);
  } finally {
    closeSync(fd);
  }
}
