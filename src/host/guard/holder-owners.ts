// The processes holding abstract socket names, from one look at the kernel's list of unix sockets and
// at every process's fds (what `ss -xlp` does). A scan of /proc takes milliseconds and one check may
// face many names, so one look serves every name of the check.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface Owner {
  pid: string;
  uid: number;
}

export interface HolderOwners {
  /** The processes found holding a socket bound to `name` (none: not bound then, gone, or hidden from us). */
  ownersOf(name: string): Owner[];
}

/** Abstract name -> the inodes of its sockets (a holder's accepted connections repeat its name). */
function abstractInodes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const path = f[7];
    const inode = f[6];
    // Shown as '@name@@@...': '@' for the leading NUL and for the padding Node binds the name with.
    if (!path?.startsWith('@') || !inode) continue;
    const name = path.replace(/@+$/, '').slice(1);
    const list = out.get(name);
    if (list) list.push(inode);
    else out.set(name, [inode]);
  }
  return out;
}

/** Inode -> the processes holding it, for the inodes in `wanted`: one pass over every process's fds. */
function socketOwners(wanted: ReadonlySet<string>): Map<string, Owner[]> {
  const out = new Map<string, Owner[]>();
  if (wanted.size === 0) return out;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    let uid: number | null = null;
    const seen = new Set<string>();
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (!inode || !wanted.has(inode) || seen.has(inode)) continue;
      seen.add(inode);
      try {
        uid ??= statSync(`/proc/${pid}`).uid;
      } catch {
        break; // gone
      }
      const list = out.get(inode);
      if (list) list.push({ pid, uid });
      else out.set(inode, [{ pid, uid }]);
    }
  }
  return out;
}

/** Who holds which abstract name right now: one read of /proc/net/unix, one scan of /proc. */
export function holderOwners(): HolderOwners {
  const inodes = abstractInodes();
  const owners = socketOwners(new Set([...inodes.values()].flat()));
  return {
    ownersOf(name) {
      const byPid = new Map<string, Owner>();
      for (const inode of inodes.get(name) ?? []) for (const o of owners.get(inode) ?? []) byPid.set(o.pid, o);
      return [...byPid.values()];
    },
  };
}
