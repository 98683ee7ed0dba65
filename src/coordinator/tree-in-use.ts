// A build tree the reactor is about to delete unattended is checked once more for live processes after
// its teardown: one rooted in it that outlived the teardown, or one outside it whose working directory,
// program or open files are in it (the teardown reports those and never signals them: a person's shell,
// a daemon started from the tree without a chroot). Such a tree is left whole and the alert says why.
import { realpathSync } from 'node:fs';
import { holdersInside, processesRootedIn } from '../host/proc/proc-scan.js';

const MAX_LISTED = 5;

/** Why `path` must not be deleted now (processes still in it), or null when none is. */
export async function processesInTree(path: string): Promise<string | null> {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return null; // gone: nothing runs in it
  }
  const [rooted, holders] = await Promise.all([processesRootedIn(real), holdersInside(real)]);
  const seen = [
    ...rooted.map((p) => `pid ${p.pid} (${p.comm}) rooted in it`),
    ...holders.map((h) => `pid ${h.pid} (${h.comm}) with its ${h.uses.map((u) => `${u.kind} ${u.path}`).join(', ')}`),
  ];
  if (!seen.length) return null;
  const more = seen.length > MAX_LISTED ? `, and ${seen.length - MAX_LISTED} more` : '';
  return `processes still use ${real} (not signalled, tree kept): ${seen.slice(0, MAX_LISTED).join('; ')}${more}`;
}
