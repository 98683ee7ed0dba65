// Whose a held lock name is. Any local user can bind an abstract name like ours, and say nothing, one
// byte, or a forged holder line ("isoswarm (pid 1) holds the target lock"), which would keep every
// cleanup (a build lock) or every run (a target lock) out. A name is no lock of ours when every process
// holding it runs as a user other than root and ours, and none runs from this install (a stopped
// `isoswarm run` of another user, or an agent under its own user, still counts): such a holder is passed
// by whatever it answers. Any other holder's answer is believed, and its silence refuses.
//
// One look (holder-owners.ts) serves one check. That is sound because every check looks while its own
// lock is held: a name held only by other users at the look was no lock of ours then, and a lock of
// ours taken on it later looks in turn and sees the checker's. So a check that takes a lock and then
// looks again needs a new judge, made after the lock is held.
import { readFileSync } from 'node:fs';
import { holderOwners, type HolderOwners, type Owner } from './holder-owners.js';

/** True when `name` is held, and only by processes that are none of ours (see above). */
export type ForeignJudge = (name: string) => boolean;

/** This install's dist dir, from this process's entry script (every isoswarm process runs one under it). */
const ourDist = ((): string | null => {
  const entry = process.argv[1] ?? '';
  const i = entry.indexOf('/dist/');
  return i > 0 ? entry.slice(0, i + '/dist/'.length) : null;
})();

function runsFromThisInstall(pid: string): boolean {
  if (!ourDist) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(ourDist);
  } catch {
    return false;
  }
}

/**
 * Whether `owners` are all foreign: some found, none root or our uid, none from this install. None
 * found (it may have just let go, or be hidden from us) is not ruled out.
 */
export function allForeign(owners: readonly Owner[]): boolean {
  const ours = process.getuid?.() ?? 0;
  return owners.length > 0 && owners.every((o) => o.uid !== 0 && o.uid !== ours && !runsFromThisInstall(o.pid));
}

/** A judge for one check: /proc is scanned once, when the first name is judged, and never if none is. */
export function foreignJudge(): ForeignJudge {
  let look: HolderOwners | null = null;
  const verdicts = new Map<string, boolean>();
  return (name) => {
    let v = verdicts.get(name);
    if (v === undefined) {
      look ??= holderOwners();
      v = allForeign(look.ownersOf(name));
      verdicts.set(name, v);
    }
    return v;
  };
}

/** One name judged in a look of its own. */
export function foreignHolder(name: string): boolean {
  return foreignJudge()(name);
}
