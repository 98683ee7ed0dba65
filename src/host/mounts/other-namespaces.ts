// Mounts made in other mount namespaces are not in ours: a build run with `isoswarm run --isolate`
// (its own namespace, propagation slave) binds a host dir into its chroot where our mountinfo never
// shows it. One process of each other namespace shows that namespace's mounts; a chrooted one shows
// only those under its root, named from there, so its root is put back in front. Daemons a build
// started and that left its process tree are in its namespace too, so every process is looked at.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo, type MountEntry } from './mountinfo.js';

/** The mounts of every mount namespace other than ours (one read per namespace), by our paths. */
export function otherNamespaceMounts(): MountEntry[] {
  let ours: string;
  try {
    ours = readlinkSync('/proc/self/ns/mnt');
  } catch {
    return []; // no way to tell namespaces apart
  }
  // Per namespace: a process whose root is "/" if there is one, else any.
  const pick = new Map<string, { pid: string; root: string }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (ns === ours || pick.get(ns)?.root === '/') continue;
      pick.set(ns, { pid, root: readlinkSync(`/proc/${pid}/root`) });
    } catch {
      /* gone, or a kernel thread */
    }
  }
  const out: MountEntry[] = [];
  for (const { pid, root } of pick.values()) {
    try {
      for (const m of parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')))
        out.push(root === '/' ? m : { ...m, mountPoint: join(root, m.mountPoint) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
