// Mounts made in other mount namespaces are not in ours: a build run with `isoswarm run --isolate`
// (its own namespace, propagation slave) binds a host dir into its chroot, or mounts an overlay,
// where our mountinfo never shows it. A process of each other namespace shows that namespace's
// mounts, named from the process's root: a chrooted one's root is put in front; a namespace that
// pivoted to another root is placed by where its "/" lies in our mounts. Daemons a build started
// and that left its process tree are in its namespace too, so every process is looked at.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fsPlace } from './fs-place.js';
import { parseMountinfo, type MountEntry } from './mountinfo.js';
import type { ViewedMount } from './overlay-layers.js';

type Candidate = { pid: string; root: string };

/** Where a namespace's "/" (its own root mount, seen by a process whose root is "/") lies in our paths. */
function placeRoot(theirs: readonly MountEntry[], ours: readonly MountEntry[]): string | null {
  const top = theirs.findLast((m) => m.mountPoint === '/');
  if (!top) return null;
  const dev = `${top.major}:${top.minor}`;
  const ourRoot = fsPlace('/', ours);
  if (ourRoot && ourRoot.dev === dev && ourRoot.fsPath === top.root) return '/';
  for (const m of ours) {
    if (`${m.major}:${m.minor}` !== dev) continue;
    const inside = m.root === '/' ? top.root : top.root.slice(m.root.length);
    if (m.root === '/' || top.root === m.root || top.root.startsWith(`${m.root}/`))
      return m.mountPoint === '/' ? inside || '/' : join(m.mountPoint, inside);
  }
  return null;
}

/** One namespace's mounts by our paths (from its first candidate that can be read), or null. */
function readNamespace(ns: string, cands: readonly Candidate[], ours: readonly MountEntry[]): ViewedMount[] | null {
  for (const c of cands) {
    try {
      const theirs = parseMountinfo(readFileSync(`/proc/${c.pid}/mountinfo`, 'utf8'));
      if (readlinkSync(`/proc/${c.pid}/ns/mnt`) !== ns) continue; // the pid was reused meanwhile
      const root = c.root === '/' ? placeRoot(theirs, ours) : c.root;
      if (root === null || root.endsWith(' (deleted)')) continue;
      return theirs.map((m) => (root === '/' ? m : { ...m, mountPoint: join(root, m.mountPoint), viewRoot: root }));
    } catch {
      /* gone: the next one */
    }
  }
  return null;
}

/**
 * The mounts of every mount namespace other than ours, by our paths; `unread` counts the namespaces
 * (or processes) that could not be looked at (another user's, without root).
 */
export function otherNamespaceMounts(ours: readonly MountEntry[]): { mounts: ViewedMount[]; unread: number } {
  let self: string;
  try {
    self = readlinkSync('/proc/self/ns/mnt');
  } catch {
    return { mounts: [], unread: 1 }; // no way to tell namespaces apart
  }
  const byNs = new Map<string, Candidate[]>();
  let unread = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (ns === self) continue;
      const list = byNs.get(ns) ?? [];
      list.push({ pid, root: readlinkSync(`/proc/${pid}/root`) });
      byNs.set(ns, list);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') unread++; // ENOENT: gone, or a kernel thread
    }
  }
  const mounts: ViewedMount[] = [];
  for (const [ns, cands] of byNs) {
    // Nearest to our "/" first: a process chrooted deeper than a tree does not see its mounts.
    cands.sort((a, b) => a.root.length - b.root.length);
    const got = readNamespace(ns, cands, ours);
    if (got) mounts.push(...got);
    else unread++;
  }
  return { mounts, unread };
}
