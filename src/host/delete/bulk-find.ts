// Bulk removal by the system's `find -delete`, for a tree the deleter has already resolved, judged
// by the policy, pinned (an open fd, checked "dev:ino") and moved aside to an unguessable trash
// name (safe-delete takes this path for nothing else). GNU find does the fstatat/unlinkat work in
// C through fts, at `rm -rf` speed. Why it cannot reach outside the tree:
// - Its working directory is the pinned directory itself, entered through /proc/<our pid>/fd/<fd>:
//   no path is looked up, so a swapped ancestor or a symlink put in its place is never followed.
// - It runs in a private mount namespace. In that namespace (/proc/<child>/mountinfo and cwd) we
//   check that its working directory is still the planned "dev:ino" and that no mount point lies
//   at or below it (by path component: same-file-system binds included, which `-xdev` cannot see).
// - A mount made on the host after that copy is invisible to find, and removing the folder or file
//   it sits on detaches it on the host (EBUSY holds only in the caller's own namespace). So the
//   host's mountinfo is read again after every child passed its check, right before "go" (anything
//   at or under the tree: every child is stopped), polled while find runs and read after each find
//   exits: a mount that appeared or vanished makes the result incomplete (`mountsChanged`).
// - "go" is all or nothing: every child must be ready and pass its check first.
// - The children get SIGKILL when we die (setpriv --pdeathsig; every step execs, never forks).
// - find never follows symlinks (-P, its default): a link to a host folder is unlinked as a link.
// Counts: `-links +0` makes find stat each entry before `-delete` (stat info is lazy otherwise,
// and would be read after the entry is gone); `-printf '%y %s'` comes after `-delete`, which is
// true only when the removal succeeded, so only entries actually removed are counted.
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { childViewRefusal, findMayTake, hostMountsUnder } from './find-checks.js';
import type { Tally } from './walk-state.js';
import { bulkTools, bulkUnavailable } from './find-child.js';
import { endFinds, startFinds, type FindSet, type StartHooks } from './find-set.js';

export { bulkToolsAvailable, bulkUnavailable } from './find-child.js';

/** How often the host's mountinfo is read while find runs. */
const POLL_MS = 20;

export type BulkOutcome =
  | { ran: true; tally: Tally; exitCodes: (number | null)[]; stderr: string; mountsChanged: string | null }
  | { ran: false; why: string };

export interface BulkHooks extends StartHooks {
  /** Right before child `i`'s namespace check (tests change that child's namespace here). */
  beforeCheck?(pid: number, i: number): void;
  /** After every child passed its check, before the host's mountinfo is read for "go". */
  beforeGo?(): void;
  /** Right after "go" went to every child. */
  afterGo?(): void;
  /** How many bytes of child `i`'s names are written (tests end a stream mid-name, as our death would). */
  cutNames?(i: number, names: Buffer): number;
}

/** Work on this thread while the finds start (a few ms, far more on a loaded machine): the walker. */
export interface Meanwhile {
  /** Runs until `ready()` turns true (every find ready, or one failed); true: nothing is left. */
  work(ready: () => boolean): Promise<boolean>;
}

/**
 * Removes the entries of the pinned directory `rootFd` named in `groups` (one find each; the
 * directory itself is kept: the caller removes it through its parent fd). `fileId` is the
 * "dev:ino" it was pinned with.
 */
export async function bulkRemove(
  rootFd: number,
  rootPath: string,
  fileId: string,
  groups: readonly (readonly Buffer[])[],
  onTally: (d: Tally) => void,
  hooks: BulkHooks = {},
): Promise<BulkOutcome> {
  return runFinds(rootFd, rootPath, fileId, groups.length, () => groups, onTally, hooks);
}

/** bulkRemove with `k` finds (or the set `started`) first and the groups read (`groupsOf`) once `meanwhile` stopped. */
async function runFinds(
  rootFd: number,
  rootPath: string,
  fileId: string,
  k: number,
  groupsOf: () => readonly (readonly Buffer[])[] | null,
  onTally: (d: Tally) => void,
  hooks: BulkHooks = {},
  meanwhile?: Meanwhile,
  started?: FindSet,
): Promise<BulkOutcome> {
  const why = bulkUnavailable();
  const t = bulkTools();
  if (why !== null || !t) {
    await started?.end();
    return { ran: false, why: why ?? 'no tools' };
  }
  if ((started?.children.length ?? k) === 0) return { ran: false, why: 'nothing to remove' };
  let set = started;
  try {
    // A start that throws has ended the children it started (find-set.ts).
    set ??= await startFinds(t, rootFd, k, hooks);
    return await goWhenChecked(set, rootPath, fileId, groupsOf, onTally, hooks, meanwhile);
  } finally {
    // Every child has exited when the delete returns (the ones never given "go" are killed first).
    // (A child that outlived even SIGKILL is reported by the caller that owns the set: deleteAside.)
    await set?.end();
  }
}

async function goWhenChecked(
  set: FindSet,
  rootPath: string,
  fileId: string,
  groupsOf: () => readonly (readonly Buffer[])[] | null,
  onTally: (d: Tally) => void,
  hooks: BulkHooks,
  meanwhile?: Meanwhile,
): Promise<BulkOutcome> {
  const tally: Tally = { files: 0, dirs: 0, bytes: 0 };
  set.sink = (d) => {
    tally.files += d.files;
    tally.dirs += d.dirs;
    tally.bytes += d.bytes;
    onTally(d);
  };
  let children = set.children;
  const stopAll = async (reason: string): Promise<BulkOutcome> => {
    await set.end();
    return { ran: false, why: reason };
  };
  let settled = 0;
  const readyAll = Promise.all(children.map((c) => c.ready.finally(() => settled++)));
  if (meanwhile && (await meanwhile.work(() => settled === children.length || children.every((c) => c.readyNow()))))
    return stopAll('the walker removed it all while find started');
  const ready = await readyAll;
  const notReady = ready.indexOf(false);
  if (notReady >= 0)
    return stopAll(
      `find ${notReady + 1} of ${children.length} stopped before it was ready: ${children[notReady]!.stderr()}`,
    );
  const groups = groupsOf();
  if (!groups) return stopAll('the folder could not be listed');
  if (groups.length < children.length) {
    // Fewer entries left than finds started: the spare ones go.
    await endFinds(set, children.slice(groups.length));
    children = children.slice(0, groups.length);
    if (children.length === 0) return { ran: false, why: 'nothing left to remove' };
  }
  for (const [i, c] of children.entries()) {
    const pid = c.proc.pid ?? -1;
    hooks.beforeCheck?.(pid, i);
    const refused = pid < 0 ? 'no child pid' : childViewRefusal(pid, rootPath, fileId);
    if (refused !== null) return stopAll(`find ${i + 1} of ${children.length} refused: ${refused}`);
  }
  hooks.beforeGo?.();
  const before = hostMountsUnder(rootPath);
  if (before.size > 0)
    return stopAll(`mounted on the host at or under ${rootPath} after the checks: ${[...before].join(', ')}`);

  const seen = new Set<string>();
  const look = (): void => {
    for (const k of hostMountsUnder(rootPath)) seen.add(k);
  };
  const poll = setInterval(look, POLL_MS);
  for (const [i, c] of children.entries()) {
    const names = Buffer.concat(groups[i]!.filter(findMayTake).flatMap((n) => [n, Buffer.of(0)]));
    set.going.add(c);
    c.proc.stdin!.end(names.subarray(0, hooks.cutNames?.(i, names) ?? names.length));
  }
  hooks.afterGo?.();
  let exitCodes: (number | null)[];
  try {
    exitCodes = await Promise.all(
      children.map((c) =>
        c.closed.then((code) => {
          look();
          return code;
        }),
      ),
    );
  } finally {
    clearInterval(poll);
  }
  const failed = exitCodes.findIndex((c) => c !== 0);
  return {
    ran: true,
    tally,
    exitCodes,
    stderr: failed >= 0 ? children[failed]!.stderr() : '',
    mountsChanged: seen.size > 0 ? [...seen].join(', ') : null,
  };
}

export interface BulkResult {
  /** find did the bulk of the work (the walker still finishes whatever it left). */
  ran: boolean;
  /** How the counts were measured, or why the walker does it all. */
  note: string;
  /** Set when the host's mounts at or under the tree changed while find ran: not a success. */
  incomplete?: string;
}

/** Runs bulkRemove over the tree's top-level entries, split among up to `maxFinds` finds (default: one per processor, at most 4). */
export async function removeInBulk(
  rootFd: number,
  rootPath: string,
  fileId: string,
  add: (d: Tally) => void,
  hooks?: BulkHooks,
  maxFinds?: number,
  meanwhile?: Meanwhile,
  started?: FindSet,
): Promise<BulkResult> {
  let used = 0;
  let k = started?.children.length ?? Math.max(1, maxFinds ?? Math.min(4, availableParallelism()));
  if (!meanwhile && !started) {
    // Without a walker to start, no more finds than top-level entries are worth starting.
    const first = splitEntries(rootFd, k);
    if (!first) return { ran: false, note: 'walker (find not used: the folder could not be listed)' };
    k = first.length;
  }
  const groupsOf = (): Buffer[][] | null => {
    const g = splitEntries(rootFd, k);
    used = g?.length ?? 0;
    return g;
  };
  const b = await runFinds(rootFd, rootPath, fileId, k, groupsOf, add, hooks, meanwhile, started);
  if (!b.ran) return { ran: false, note: `walker (find not used: ${b.why})` };
  const how = `find -delete, then -printf '%y %s' (only what was removed is counted), ${used} in parallel`;
  if (b.mountsChanged !== null) {
    const incomplete = `host mounts at or under ${rootPath} changed while find ran (${b.mountsChanged}): a mount there may have been detached; not complete`;
    return { ran: true, note: `${how}: ${incomplete}`, incomplete };
  }
  const failed = b.exitCodes.find((c) => c !== 0);
  if (failed === undefined) return { ran: true, note: `${how} (exact)` };
  const first = b.stderr.split('\n')[0] ?? '';
  return { ran: true, note: `${how}: find exited ${failed} (${first}); the walker removed the rest (exact)` };
}

/**
 * The directory's entries (raw bytes: any name is passed as it is) in up to one group per
 * processor (a chroot's top level has a few big folders, so the finds share the work roughly).
 * null: it cannot be listed. Entries made after this listing, or not findMayTake, are left to the walker.
 */
function splitEntries(rootFd: number, maxFinds?: number): Buffer[][] | null {
  const k = Math.max(1, maxFinds ?? Math.min(4, availableParallelism()));
  let names: Buffer[];
  try {
    names = readdirSync(`/proc/self/fd/${rootFd}`, { encoding: 'buffer' }).filter(findMayTake);
  } catch {
    return null;
  }
  const groups: Buffer[][] = Array.from({ length: Math.min(k, names.length) }, () => []);
  names.forEach((n, i) => groups[i % groups.length]!.push(n));
  return groups;
}
