// How many find processes a trash tree is worth, from the entries the plan counted. Each find
// costs three execs and a mount namespace (3-5 ms on an idle 2-core machine, many times that when
// it is loaded) before it removes anything, while the walker starts at once but pays 3-4 times
// find's cost per entry; measured with bench/delete-tree.mjs (notes in its output). Without a
// count the tree is split among up to one find per processor, as before. Either way a further find
// needs a processor that sits idle (as the walker's threads do, run.ts): on a busy machine a second
// find only adds its start and contention (measured at load 6-10 on 2 cores, 50,000 files: one find
// 0.62-0.84x rm on tmpfs and 0.86-1.08x on ext4, two finds 1.27-1.40x and 1.25-1.48x).
import { availableParallelism, loadavg } from 'node:os';

/** Below this many entries (files + folders) the walker alone finishes before a find could start. */
export const WALKER_BELOW = 400;
/** A further find pays for its start only with about this many entries of its own. */
export const ENTRIES_PER_FIND = 10_000;

/** 0: the walker alone; otherwise the most finds to start. */
export function findsFor(expectedEntries: number | undefined): number {
  const cores = availableParallelism();
  const idle = Math.floor(cores - (loadavg()[0] ?? cores));
  const k = Math.max(1, Math.min(4, cores, idle));
  if (expectedEntries === undefined || !Number.isFinite(expectedEntries) || expectedEntries < 0) return k;
  if (expectedEntries < WALKER_BELOW) return 0;
  return Math.max(1, Math.min(k, Math.floor(expectedEntries / ENTRIES_PER_FIND)));
}
