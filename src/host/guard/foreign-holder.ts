// Who holds a lock name that did not answer. Any local user can bind an abstract name like ours and
// say nothing, which would keep every cleanup (a silent build lock) or every run (a silent target
// lock) out. Our locks are held by root or by the user isoswarm runs as; a silent name whose sockets
// belong only to other users is no lock of ours. Found from the socket's inode in /proc/net/unix and
// the processes' fds that point at it (what `ss -xlp` does).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** The inodes of the sockets bound to abstract name `name` (shown as '@name@@@...'). */
function inodesOf(name: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const path = f[7];
    if (path && path.replace(/@+$/, '') === `@${name}` && f[6]) out.add(f[6]);
  }
  return out;
}

/** The uids of the processes holding a socket with one of `inodes` open. */
function ownerUids(inodes: Set<string>): Set<number> {
  const uids = new Set<number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        try {
          uids.add(statSync(`/proc/${pid}`).uid);
        } catch {
          /* gone */
        }
        break;
      }
    }
  }
  return uids;
}

/**
 * True when every process found holding `name` runs as a user other than root and ours: not a lock of
 * ours. False when none is found (it may have just let go, or be hidden from us): not ruled out.
 */
export function foreignHolder(name: string): boolean {
  const uids = ownerUids(inodesOf(name));
  const ours = process.getuid?.() ?? 0;
  return uids.size > 0 && ![...uids].some((u) => u === 0 || u === ours);
}
