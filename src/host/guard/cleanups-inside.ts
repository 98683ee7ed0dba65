// The cleanups and teardowns running *inside* a tree, for a run about to start on it: a Cleaner deleting
// `chroot/var/cache` or an Unmounter tearing down `chroot/proc` while the run's pre-task mounts and its
// build writes there would race the build. They hold target locks, found like builds inside a tree
// (bound-lock-names.ts): each holder is asked which target it holds, and the answer is trusted only when
// the name is that target's own lock name and its holder is no look-alike (foreign-holder.ts).
//
// Ordering: the run holds its build lock before it looks, and a cleanup or teardown holds its target
// lock before it looks for builds around its target (build-lock.ts). So one of the two always sees the
// other, whichever started first.
import { createHash } from 'node:crypto';
import { isAtOrUnder } from '../fs/paths.js';
import { boundLockNames } from './bound-lock-names.js';
import type { LockProbe } from './lock-probe.js';
import { lockName } from './target-lock.js';
import { foreignJudge, type ForeignJudge } from './foreign-holder.js';
import { askHolder } from './ask-holder.js';
import { CHECK_MS, firstRefusal } from './ask-bounded.js';
import { readMountinfo, type MountEntry } from '../mounts/mountinfo.js';
import { fsPlace, samePlaceOrNested, type FsPlace } from '../mounts/fs-place.js';

const TARGET_LOCK = /^@(isoswarm-lock-([0-9a-f]{64}))@*$/;

/**
 * Why a cleanup or teardown of a dir strictly inside `realTree` keeps a run from starting on it now, or
 * null. A holder that does not say its target (a stopped process, or not ours) cannot be ruled out, so
 * it refuses too, unless it is a look-alike. The tree's own lock (the run holds it while it looks) is not a reason. A target
 * reached under another name (a bind mount of the tree, of a dir around it or inside it) is found by
 * its place in its file system.
 */
export async function cleanupInside(
  realTree: string,
  skipNames: readonly string[] = [],
  checkMs = CHECK_MS,
  foreign: ForeignJudge = foreignJudge(),
): Promise<string | null> {
  const skip = new Set([lockName(realTree), ...skipNames]);
  const hashes = (await boundLockNames(TARGET_LOCK)).filter((b) => !skip.has(b.name)).map((b) => b.hash);
  const mounts = await readMountinfo();
  const place = fsPlace(realTree, mounts);
  return firstRefusal(
    hashes,
    async (hash, timeoutMs) => {
      const name = `isoswarm-lock-${hash}`;
      const p = await askHolder(name, timeoutMs, foreign);
      if (!p.held) return null;
      const why = refusal(hash, name, p, realTree, place, mounts);
      // A look-alike of another user is passed by, whatever it says (foreign-holder.ts).
      return why !== null && foreign(name) ? null : why;
    },
    (left) =>
      `${left} bound target lock names could not be asked within ${checkMs / 1000} s, so it cannot be ruled out that a cleanup or teardown inside ${realTree} is running`,
    checkMs,
  );
}

/** Why the holder of target lock `name` (of target hash `hash`) keeps a run on `realTree` out, by its answer `p`. */
function refusal(
  hash: string,
  name: string,
  p: LockProbe,
  realTree: string,
  place: FsPlace | null,
  mounts: readonly MountEntry[],
): string | null {
  const said = p.says ?? 'it holds the target lock';
  if (p.tree === null || createHash('sha256').update(p.tree).digest('hex') !== hash)
    return `a target lock (${name}) is held by a process that did not say which target it holds (a stopped cleanup, or an isoswarm from before target locks said it: \`isoswarm down && isoswarm up\` restarts the swarm), so it cannot be ruled out that it is inside ${realTree}`;
  // Not a path (the memory's writer lock says "memory:<dir>"): no dir of the tree.
  if (!p.tree.startsWith('/')) return null;
  if (isAtOrUnder(p.tree, realTree))
    return `a cleanup or teardown of ${p.tree}, inside ${realTree}, is running: ${said}`;
  if (samePlaceOrNested(fsPlace(p.tree, mounts), place))
    return `a cleanup or teardown of ${p.tree} is running, and it shares files with ${realTree} through a bind mount (one holds the other): ${said}`;
  return null;
}
