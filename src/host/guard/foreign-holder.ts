// Who holds a lock name that did not answer. Any local user can bind an abstract name like ours and
// say nothing, which would keep every cleanup (a silent build lock) or every run (a silent target
// lock) out. A silent name is no lock of ours when every process holding it runs as a user other than
// root and ours, and none runs from this install (a stopped `isoswarm run` of another user, or an
// agent under its own user, still counts). Found from the socket's inode in /proc/net/unix and the
// processes' fds that point at it (what `ss -xlp` does).
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

/** The processes (pid, uid) holding a socket with one of `inodes` open. */
function owners(inodes: Set<string>): { pid: string; uid: number }[] {
  const out: { pid: string; uid: number }[] = [];
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
          out.push({ pid, uid: statSync(`/proc/${pid}`).uid });
        } catch {
          /* gone */
        }
        break;
      }
    }
  }
  return out;
}

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
 * True when every process found holding `name` runs as a user other than root and ours and not from
 * this install: not a lock of ours. False when none is found (it may have just let go, or be hidden
 * from us): not ruled out.
 */
export function foreignHolder(name: string): boolean {
  const held = owners(inodesOf(name));
  const ours = process.getuid?.() ?? 0;
  return held.length > 0 && held.every((o) => o.uid !== 0 && o.uid !== ours && !runsFromThisInstall(o.pid));
}
