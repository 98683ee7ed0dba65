// A build in a chroot holds a build lock on the chroot's real path while it runs, so that no teardown
// or delete acts on a tree a build is using. Two names per tree, both abstract unix sockets like the
// target lock: one the run's CLI holds before the build (pre-task mounts into the chroot), one its
// guardian holds while the build process lives. The guardian takes its name before the CLI lets go of
// its own, so the tree is never unguarded in between; and a stopped or hung CLI holds nothing during
// the build, so a swarm finishing a lost run is not kept out.
//
// The Cleaner and the Unmounter check both names while they hold the target lock; a run takes its name
// while it holds the target lock too. So either the cleanup came first (the run is refused) or the run
// did (the cleanup is refused): no interleaving deletes a tree under a starting build.
// A dir around a building chroot is checked too: its builds are found from their bound lock names
// (builds-inside.ts), and a starting run looks for a target lock held on a dir around its tree or
// inside it (cleanups-inside.ts).
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { acquireNamedLock, acquireTargetLock, lockName, type TargetLock } from './target-lock.js';
import { buildInside } from './builds-inside.js';
import { cleanupInside } from './cleanups-inside.js';
import { foreignJudge } from './foreign-holder.js';
import { holderAnswer } from './lock-probe.js';
import { askHolder } from './ask-holder.js';
import { askBuildLocks, type BuildLockRole } from './build-lock-ask.js';

export type { BuildLockRole } from './build-lock-ask.js';

export function buildLockName(realTarget: string, role: BuildLockRole): string {
  return `isoswarm-build-${createHash('sha256').update(realTarget).digest('hex')}-${role}`;
}

/** `/a/b/c` -> `/a/b`, `/a` (not `/`: no build runs in the host's root). */
function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); d !== '/' && d !== path && d !== '.'; d = dirname(d)) out.push(d);
  return out;
}

/**
 * Why a build keeps `realTarget` from being torn down or deleted now, or null when no build holds it
 * or a tree around it (a dir inside a building chroot is part of that build). `forRun`: the request
 * comes from that run's own build (its script calling isoswarm on its chroot), so that run's lock does
 * not refuse it. The run id is not a secret: this guards against races and mistakes, not against a
 * root user who means it.
 */
export async function buildInTree(
  realTarget: string,
  forRun?: string,
  opts: { around?: boolean } = {},
): Promise<string | null> {
  const foreign = foreignJudge();
  const ask = (name: string, ms: number) => askHolder(name, ms, foreign);
  for (const tree of opts.around === false ? [realTarget] : [realTarget, ...ancestorsOf(realTarget)])
    for (const { role, name, probe: p } of await askBuildLocks((role) => buildLockName(tree, role), 500, ask)) {
      if (!p.held || (forRun && p.says?.startsWith(`run ${forRun} (`))) continue;
      // A look-alike of another user is passed by, whatever it says (foreign-holder.ts).
      if (foreign(name)) continue;
      const who = p.says ?? `its ${role === 'run' ? 'run' : "run's guardian"} holds the build lock`;
      return tree === realTarget
        ? `${realTarget} is in use by a build: ${who}`
        : `${realTarget} is inside ${tree}, in use by a build: ${who}`;
    }
  // A build in a tree below: a teardown would end its processes and unmount its mounts, a clean delete it.
  return opts.around === false ? null : buildInside(realTarget, forRun, foreign);
}

export type BuildLockResult = { ok: true; lock: TargetLock } | { ok: false; reason: string };

/**
 * The run's build lock, taken under the target lock: refused while a cleanup or teardown of the tree
 * runs (it holds the target lock) or another build uses the tree.
 */
export async function takeRunBuildLock(
  realTarget: string,
  label: string,
  /** Target lock names that are no cleanup's (the run's own home's memory writer lock). */
  notCleanups: readonly string[] = [],
): Promise<BuildLockResult> {
  const target = await acquireTargetLock(realTarget);
  if (!target) return { ok: false, reason: `a cleanup or teardown of ${realTarget} is running` };
  try {
    // Only this very tree: a build inside another build's chroot is that build's own business.
    const using = await buildInTree(realTarget, undefined, { around: false });
    if (using) return { ok: false, reason: using };
    const lock = await acquireNamedLock(buildLockName(realTarget, 'run'), holderAnswer(label, realTarget));
    if (!lock) return { ok: false, reason: `another run is starting on ${realTarget}` };
    // A check that throws (an unreadable /proc) refuses too, and lets go of the build lock.
    const why = await cleanupAroundOrInside(realTarget, notCleanups).catch(
      (e: unknown) => `cannot check for cleanups or teardowns around or inside ${realTarget}: ${String(e)}`,
    );
    if (why !== null) {
      await lock.release();
      return { ok: false, reason: why };
    }
    return { ok: true, lock };
  } finally {
    await target.release();
  }
}

/**
 * A cleanup or teardown of a dir around the tree takes that dir's target lock, then looks for builds
 * inside it; a run holds its build lock first, then looks for such a lock: one of the two sees the
 * other. The same for a dir inside the tree (cleanups-inside.ts).
 */
async function cleanupAroundOrInside(realTarget: string, notCleanups: readonly string[]): Promise<string | null> {
  // Judged after the build lock is held (foreign-holder.ts: one judge per look).
  const foreign = foreignJudge();
  for (const dir of ancestorsOf(realTarget)) {
    const around = await askHolder(lockName(dir), 500, foreign);
    // A name held only by other users (a look-alike) is no cleanup of ours, whatever it says.
    if (around.held && !foreign(lockName(dir)))
      return `a cleanup or teardown of ${dir}, which contains ${realTarget}, is running`;
  }
  return cleanupInside(realTarget, notCleanups, undefined, foreign);
}

/** The guardian's build lock, taken while the run's CLI still holds its own. */
export async function takeGuardianBuildLock(realTarget: string, label: string): Promise<TargetLock | null> {
  return acquireNamedLock(buildLockName(realTarget, 'guardian'), holderAnswer(label, realTarget));
}
