// The checks that gate a find's "go" (bulk-find.ts): the child's own view of the tree, read
// from its mount namespace, the host's mounts at or under the tree, and the names it may be given.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { parseMountinfo } from '../mounts/mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';

/** Why the child's view is unsafe to delete in (null: safe). Read from its own namespace. */
export function childViewRefusal(pid: number, rootPath: string, fileId: string): string | null {
  try {
    if (readlinkSync(`/proc/${pid}/ns/mnt`) === readlinkSync('/proc/self/ns/mnt'))
      return 'the child is not in a mount namespace of its own';
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    if (cwd !== rootPath) return `the child's working directory is ${JSON.stringify(cwd)}, not ${rootPath}`;
    const st = statSync(`/proc/${pid}/cwd`, { bigint: true });
    if (`${st.dev}:${st.ino}` !== fileId) return `${rootPath} is ${st.dev}:${st.ino} now, not the pinned ${fileId}`;
    const under = parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).filter((m) =>
      isAtOrUnder(m.mountPoint, rootPath),
    );
    if (under.length > 0) return `mounted at or under ${rootPath}: ${under.map((m) => m.mountPoint).join(', ')}`;
    return null;
  } catch (e) {
    return `cannot inspect the child: ${String(e)}`;
  }
}

/** The host's mounts at or under `rootPath`, as "id path" keys. */
export function hostMountsUnder(rootPath: string): Set<string> {
  const all = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  return new Set(all.filter((m) => isAtOrUnder(m.mountPoint, rootPath)).map((m) => `${m.id} ${m.mountPoint}`));
}

/**
 * Whether find may be given this name. Our death mid-write ends find's stdin mid-name, and find
 * takes a last name without its NUL as a start point: any prefix of a name may reach find. A
 * prefix of a name in the tree is the tree itself ("."), a sibling entry or nothing, except ".."
 * (the folder holding the tree): names beginning with ".." are left to the walker, and so is "."
 * (never listed, but as a name it would be the whole tree).
 */
export function findMayTake(name: Buffer): boolean {
  return name.length > 0 && !(name[0] === 0x2e && (name.length === 1 || name[1] === 0x2e));
}
