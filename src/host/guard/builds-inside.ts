// The builds running *inside* a tree. Build lock names are hashes of the exact chroot path, so a parent
// cannot be checked by name: the held build locks are found in the kernel's list of unix sockets
// (/proc/net/unix, which lists every bound abstract name of this network namespace, the one every
// isoswarm process shares) and each holder is asked which tree it guards. The answer is trusted only
// when the name is that tree's own lock name. Found from the locks themselves, so a run that has taken
// its lock but not yet registered is seen too.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isAtOrUnder } from '../fs/paths.js';
import { askBuildLocks } from './build-lock-ask.js';
import { probeLock, type LockProbe } from './lock-probe.js';

// Shown with '@' for each NUL: the leading one, and the padding Node binds the name with.
const BUILD_LOCK = /^@(isoswarm-build-([0-9a-f]{64})-(?:run|guardian))@*$/;

/** The build lock names bound right now (each once; a holder's accepted connections repeat its name). */
export async function boundBuildLockNames(): Promise<{ name: string; hash: string }[]> {
  const text = await readFile('/proc/net/unix', 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path: a build lock's name has no spaces.
    const path = line.trim().split(/\s+/)[7];
    const m = path ? BUILD_LOCK.exec(path) : null;
    if (m) out.set(m[1]!, m[2]!);
  }
  return [...out].map(([name, hash]) => ({ name, hash }));
}

/**
 * Why a build running in a tree strictly inside `realTarget` keeps it from being torn down or deleted
 * now, or null. A holder that does not say its tree (stopped, or not an isoswarm build) cannot be ruled
 * out, so it refuses too. `forRun`: that run's own locks let the request by.
 */
export async function buildInside(realTarget: string, forRun?: string): Promise<string | null> {
  return buildInsideOf(new Set((await boundBuildLockNames()).map((b) => b.hash)), realTarget, forRun);
}

// A long wait per name: a live holder slowed by load must not read as silent and refuse an unrelated
// dir. A bound on the whole check: any local user can bind names like ours, thousands of them, and the
// check runs while the target lock is held. So the trees are asked side by side, none is started past
// the bound, and a tree not asked by then refuses (it cannot be ruled out).
const ASK_MS = 5000;
const MIN_ASK_MS = 500;
const CHECK_MS = 8000;
const SIDE_BY_SIDE = 32;

/**
 * buildInside for the trees whose build lock names were seen bound (`hashes`, from one read of the
 * list). Each tree's run name, then its guardian name, is asked whichever of them was seen: a run
 * handing over to its guardian after the read has its guardian's name bound by the time its own is free.
 */
export async function buildInsideOf(
  hashes: Set<string>,
  realTarget: string,
  forRun?: string,
  checkMs = CHECK_MS,
): Promise<string | null> {
  const deadline = Date.now() + checkMs;
  const queue = [...hashes];
  let refusal: string | null = null;
  const askNext = async (): Promise<void> => {
    for (let hash = queue.shift(); hash !== undefined && refusal === null; hash = queue.shift()) {
      if (Date.now() >= deadline) {
        refusal = `${queue.length + 1} bound build lock names could not be asked within ${checkMs / 1000} s (too many, or their holders are slow), so it cannot be ruled out that one guards a tree inside ${realTarget}`;
        return;
      }
      const ask = (name: string) => probeLock(name, Math.max(MIN_ASK_MS, Math.min(ASK_MS, deadline - Date.now())));
      const why = verdict(
        hash,
        await askBuildLocks((role) => `isoswarm-build-${hash}-${role}`, ASK_MS, ask),
        realTarget,
        forRun,
      );
      refusal ??= why;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIDE_BY_SIDE, queue.length) }, askNext));
  return refusal;
}

function verdict(
  hash: string,
  answers: { name: string; probe: LockProbe }[],
  realTarget: string,
  forRun?: string,
): string | null {
  for (const { name, probe: p } of answers) {
    if (!p.held || (forRun && p.says?.startsWith(`run ${forRun} (`))) continue;
    const known = p.tree !== null && createHash('sha256').update(p.tree).digest('hex') === hash;
    if (!known)
      return `a build lock (${name}) is held by a process that did not say which tree it guards (a stopped run?), so it cannot be ruled out that its tree is inside ${realTarget}`;
    if (p.tree !== realTarget && isAtOrUnder(p.tree!, realTarget))
      return `${realTarget} contains ${p.tree}, in use by a build: ${p.says ?? 'its run holds the build lock'}`;
  }
  return null;
}
