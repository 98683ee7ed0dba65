// Build trees that finished runs left behind (a teardown that did not finish, a clean that was
// refused or interrupted): known from the run registry, never from a name pattern. A tree is stale
// when every run registered with it (or with a tree inside or around it) is done, the newest of them
// more than STALE_AFTER_MS ago, none asked to keep it, and it belongs to the user the registry does.
// The reactor hands them to the Cleaner as tree targets: its own policy check (safe prefixes),
// teardown, plan and journal still apply.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { isAtOrUnder } from '../host/fs/paths.js';
import { listEntries, readJson, registryDir, stateOf, type RegistryEntry } from '../run/registry.js';

/** Finished this long ago (a day) and not re-used since: no later run of the name still needs it. */
export const STALE_AFTER_MS = 24 * 3600 * 1000;

export interface StaleTree {
  path: string;
  runId: string;
  doneAt: string;
}

export interface StaleTreeScan {
  trees: StaleTree[];
  /** Trees the registry knows that are not stale, and why (for the log and tests). */
  kept: { path: string; why: string }[];
}

function keptWhy(e: RegistryEntry): string | null {
  if (e.run?.keep) return `run ${e.runId} was asked to keep it (${e.run.keep.reason})`;
  if (e.run?.keepOnFailure && e.done && e.done.exitCode !== 0) return `run ${e.runId} kept it on failure`;
  const rec = e.done?.recordFile ? readJson<{ kept?: unknown }>(e.done.recordFile) : null;
  if (rec?.kept) return `run ${e.runId}'s record says it was kept`;
  return null;
}

export function staleBuildTrees(stateRoot: string, now = Date.now()): StaleTreeScan {
  const entries = listEntries(stateRoot).filter((e) => e.run?.chroot);
  let owner: number;
  try {
    owner = statSync(registryDir(stateRoot)).uid;
  } catch {
    return { trees: [], kept: [] };
  }
  const trees: StaleTree[] = [];
  const kept: StaleTreeScan['kept'] = [];
  // Runs are related by the real path of their tree: one tree reached through a symlink under
  // another name is still one tree (a live run under either name protects it).
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const realOf = new Map(entries.map((e) => [e.runId, real(e.run?.chroot as string)]));
  const paths = [...new Set(entries.map((e) => e.run?.chroot as string))];
  for (const path of paths) {
    const rp = real(path);
    const related = entries.filter((e) => {
      const c = realOf.get(e.runId) as string;
      return isAtOrUnder(c, rp) || isAtOrUnder(rp, c);
    });
    const why = (() => {
      if (rp !== path) return `reached through a symlink (real path ${rp})`;
      const live = related.find((e) => !e.done);
      if (live) return `run ${live.runId} is ${stateOf(live)}`;
      // A kept tree inside this one (or around it) is kept whole: deleting either loses the kept files.
      for (const e of related) {
        const k = keptWhy(e);
        if (k) return k;
      }
      const newest = Math.max(...related.map((e) => Date.parse(e.done?.at ?? '') || Infinity));
      if (!(now - newest > STALE_AFTER_MS)) return 'a run finished with it less than a day ago';
      let st;
      try {
        st = lstatSync(path);
      } catch {
        return 'gone';
      }
      if (!st.isDirectory()) return 'not a directory';
      if (st.uid !== owner) return `owned by uid ${st.uid}, not the registry's ${owner}`;
      return null;
    })();
    const last = related.filter((e) => e.run?.chroot === path).at(-1) as RegistryEntry;
    if (why) kept.push({ path, why });
    else trees.push({ path, runId: last.runId, doneAt: last.done?.at ?? '' });
  }
  return { trees, kept };
}
