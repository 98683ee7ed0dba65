// The find children of one delete, started as a set (bulk-find.ts gives them their checks and
// "go"). They can be started before the tree is moved aside, so that their exec chain and mount
// namespace are made while the deleter does its own checks: nothing is removed before "go", and
// every check that gates "go" is made afterwards, on the tree as it is then. A set is always
// ended by the delete call that started it: before "go" by SIGKILL (the child holds no names
// yet), after "go" by find's own exit, and its exits are awaited (bounded), so that no child
// and no namespace (which keeps every file system it copied alive) outlives the call.
import type { Tally } from './walk-state.js';
import { startChild, type Child, type Tools } from './find-child.js';

/** How long a child may take to exit once killed before the delete reports it (never seen). */
const EXIT_WAIT_MS = 10_000;

export interface FindSet {
  children: Child[];
  /** Where the children's tallies go (set by the delete that uses the set). */
  sink: (d: Tally) => void;
  /** "go" went to these children: they are awaited, never killed. */
  going: Set<Child>;
  /** Kills the children not given "go" and waits for every child to exit; the ones still alive. */
  end(): Promise<number[]>;
}

export interface StartHooks {
  /** Right before child `i` is spawned in `rootFd` (tests make that spawn throw here). */
  beforeSpawn?(i: number, rootFd: number): void;
}

/**
 * Starts `k` children in `rootFd`. spawn throws (rather than emitting 'error') for ENOTDIR,
 * ENOMEM and most other errors: the children already started are then killed and awaited here
 * before the error goes on, since the caller never gets a set to end.
 */
export async function startFinds(t: Tools, rootFd: number, k: number, hooks: StartHooks = {}): Promise<FindSet> {
  const set: FindSet = {
    children: [],
    sink: () => undefined,
    going: new Set(),
    end: () => endFinds(set, set.children),
  };
  try {
    for (let i = 0; i < k; i++) {
      hooks.beforeSpawn?.(i, rootFd);
      set.children.push(startChild(t, rootFd, (d) => set.sink(d)));
    }
  } catch (e) {
    const alive = await set.end();
    const still = alive.length > 0 ? `; find children still alive after SIGKILL: ${alive.join(', ')}` : '';
    throw new Error(`find ${set.children.length + 1} of ${k} could not be started: ${String(e)}${still}`, {
      cause: e,
    });
  }
  return set;
}

function exited(c: Child): boolean {
  return c.proc.exitCode !== null || c.proc.signalCode !== null;
}

/** Ends `which` (children of `set`): SIGKILL to those without "go", then their exits, bounded. */
export async function endFinds(set: FindSet, which: readonly Child[]): Promise<number[]> {
  for (const c of which) if (!set.going.has(c) && !exited(c)) c.proc.kill('SIGKILL');
  const alive: number[] = [];
  await Promise.all(
    which.map(async (c) => {
      if (await closedWithin(c, EXIT_WAIT_MS)) return;
      // Given "go" and still running after the bound: it is ours to stop now, then awaited once more.
      c.proc.kill('SIGKILL');
      if (!(await closedWithin(c, EXIT_WAIT_MS)) && c.proc.pid !== undefined) alive.push(c.proc.pid);
    }),
  );
  return alive;
}

async function closedWithin(c: Child, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([c.closed.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
