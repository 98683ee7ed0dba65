// The builds running *inside* a tree. Build lock names are hashes of the exact chroot path, so a parent
// cannot be checked by name: the held build locks are found in the kernel's list of unix sockets
// (bound-lock-names.ts) and each holder is asked which tree it guards. The answer is trusted only
// when the name is that tree's own lock name, and a name held only by other users' processes (a
// look-alike, foreign-holder.ts) is passed by whatever it says. Found from the locks themselves, so a run that has taken
// its lock but not yet registered is seen too.
import { createHash } from 'node:crypto';
import { isAtOrUnder } from '../fs/paths.js';
import { askBuildLocks } from './build-lock-ask.js';
import { boundLockNames } from './bound-lock-names.js';
import type { LockProbe } from './lock-probe.js';
import { foreignJudge, type ForeignJudge } from './foreign-holder.js';
import { askHolder } from './ask-holder.js';
import { ASK_MS, CHECK_MS, firstRefusal } from './ask-bounded.js';
import { readMountinfo, type MountEntry } from '../mounts/mountinfo.js';
import { otherNamespaceMounts } from '../mounts/other-namespaces.js';
import { overlayLayerUse, type ViewedMount } from '../mounts/overlay-layers.js';
import { fsPlace, samePlaceOrNested, type FsPlace } from '../mounts/fs-place.js';

// Shown with '@' for each NUL: the leading one, and the padding Node binds the name with.
const BUILD_LOCK = /^@(isoswarm-build-([0-9a-f]{64})-(?:run|guardian))@*$/;

/** The build lock names bound right now (each once). */
export function boundBuildLockNames(): Promise<{ name: string; hash: string }[]> {
  return boundLockNames(BUILD_LOCK);
}

/**
 * Why a build running in a tree strictly inside `realTarget` keeps it from being torn down or deleted
 * now, or null. A holder that does not say its tree (stopped, or not an isoswarm build) cannot be ruled
 * out, so it refuses too, unless it is a look-alike. `forRun`: that run's own locks let the request by.
 */
export async function buildInside(
  realTarget: string,
  forRun?: string,
  foreign: ForeignJudge = foreignJudge(),
): Promise<string | null> {
  return buildInsideOf(
    new Set((await boundBuildLockNames()).map((b) => b.hash)),
    realTarget,
    forRun,
    CHECK_MS,
    foreign,
  );
}

/**
 * buildInside for the trees whose build lock names were seen bound (`hashes`, from one read of the
 * list). Each tree's run name, then its guardian name, is asked whichever of them was seen: a run
 * handing over to its guardian after the read has its guardian's name bound by the time its own is free.
 * A tree reached under another name (a bind mount) is found by its place in its file system.
 */
export async function buildInsideOf(
  hashes: Set<string>,
  realTarget: string,
  forRun?: string,
  checkMs = CHECK_MS,
  foreign: ForeignJudge = foreignJudge(),
): Promise<string | null> {
  const mounts = await readMountinfo();
  const place = fsPlace(realTarget, mounts);
  let elsewhere: ViewedMount[] | undefined;
  const otherMounts = (): ViewedMount[] => (elsewhere ??= otherNamespaceMounts(mounts).mounts);
  return firstRefusal(
    [...hashes],
    async (hash, timeoutMs) => {
      // Both names share the one window, so the check keeps its bound.
      const until = Date.now() + timeoutMs;
      return verdict(
        hash,
        await askBuildLocks(
          (role) => `isoswarm-build-${hash}-${role}`,
          ASK_MS,
          (name) => askHolder(name, Math.max(100, until - Date.now()), foreign),
        ),
        { realTarget, place, mounts, otherMounts },
        forRun,
        foreign,
      );
    },
    (left) =>
      `${left} bound build lock names could not be asked within ${checkMs / 1000} s (too many, or their holders are slow), so it cannot be ruled out that one guards a tree inside ${realTarget}`,
    checkMs,
  );
}

interface Target {
  realTarget: string;
  place: FsPlace | null;
  mounts: MountEntry[];
  /** Other mount namespaces' mounts (an isolated build's binds), read once per check when needed. */
  otherMounts: () => ViewedMount[];
}

/** The mount point at or under `tree` that shows the files at `place` (or a dir around or inside them). */
function mountedInto(tree: string, place: FsPlace | null, mounts: readonly MountEntry[]): string | null {
  for (const m of mounts)
    if (isAtOrUnder(m.mountPoint, tree) && samePlaceOrNested({ dev: `${m.major}:${m.minor}`, fsPath: m.root }, place))
      return m.mountPoint;
  return null;
}

function verdict(
  hash: string,
  answers: { name: string; probe: LockProbe }[],
  target: Target,
  forRun: string | undefined,
  foreign: ForeignJudge,
): string | null {
  for (const { name, probe: p } of answers) {
    if (!p.held || (forRun && p.says?.startsWith(`run ${forRun} (`))) continue;
    const why = refusal(hash, name, p, target);
    // A look-alike of another user is passed by, whatever it says (foreign-holder.ts).
    if (why !== null && !foreign(name)) return why;
  }
  return null;
}

/** Why the holder of build lock `name` (of tree hash `hash`) refuses, by its answer `p`, or null. */
function refusal(hash: string, name: string, p: LockProbe, t: Target): string | null {
  const { realTarget, place, mounts } = t;
  const tree = p.tree;
  if (tree === null || createHash('sha256').update(tree).digest('hex') !== hash)
    return `a build lock (${name}) is held by a process that did not say which tree it guards (a stopped run?), so it cannot be ruled out that its tree is inside ${realTarget}`;
  const said = p.says ?? 'its run holds the build lock';
  if (tree !== realTarget && isAtOrUnder(tree, realTarget))
    return `${realTarget} contains ${tree}, in use by a build: ${said}`;
  if (samePlaceOrNested(fsPlace(tree, mounts), place))
    return `${realTarget} and ${tree}, in use by a build, share files through a bind mount (one holds the other): ${said}`;
  // A host dir the build mounted into its tree (a bind of packages, a cache) is the build's too.
  const into = mountedInto(tree, place, mounts);
  if (into) return `${realTarget} is mounted at ${into}, inside ${tree}, in use by a build: ${said}`;
  // The same in the other mount namespaces (an isolated build's own): its binds, and its overlays' layers.
  const elsewhere = t.otherMounts();
  const isolated = place ? mountedInto(tree, place, elsewhere) : null;
  if (isolated)
    return `${realTarget} is mounted at ${isolated} in another mount namespace, inside ${tree}, in use by a build: ${said}`;
  const overlays = elsewhere.filter((m) => m.fsType === 'overlay' && isAtOrUnder(m.mountPoint, tree));
  const layer = overlays.length > 0 ? overlayLayerUse(overlays, realTarget, mounts) : null;
  if (layer) return `${realTarget}: ${layer} (in another mount namespace), inside ${tree}, in use by a build: ${said}`;
  return null;
}
