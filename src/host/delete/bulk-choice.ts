// How many find processes a trash tree is worth, from the entries the plan counted. Each find
// costs three execs and a mount namespace (3-5 ms on an idle 2-core machine, many times that when
// it is loaded) before it removes anything, while the walker starts at once but pays 3-4 times
// find's cost per entry; measured with bench/delete-tree.mjs (notes in its output). Without a
// count the tree is split among up to one find per processor, as before.
import { availableParallelism } from 'node:os';

/** Below this many entries (files + folders) the walker alone finishes before a find could start. */
export const WALKER_BELOW = 400;
/**
 * A further find pays for its start with about this many entries of its own. Interleaved A/B runs of
 * one against two finds on 2,000-file trees: ext4 0.91x vs 1.02x rm when idle, and two finds ahead
 * or level on tmpfs, idle and at load 11 (the spawns are serial, the finds' work is not).
 */
export const ENTRIES_PER_FIND = 1_000;

/** 0: the walker alone; otherwise the most finds to start. */
export function findsFor(expectedEntries: number | undefined): number {
  const k = Math.max(1, Math.min(4, availableParallelism()));
  if (expectedEntries === undefined || !Number.isFinite(expectedEntries) || expectedEntries < 0) return k;
  if (expectedEntries < WALKER_BELOW) return 0;
  return Math.max(1, Math.min(k, Math.floor(expectedEntries / ENTRIES_PER_FIND)));
}
