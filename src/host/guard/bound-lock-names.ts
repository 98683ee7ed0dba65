// The abstract unix socket names bound right now, from the kernel's list (/proc/net/unix lists every
// bound abstract name of this network namespace, the one every isoswarm process shares). Lock names
// are hashes of a path, so the locks held on trees inside a dir can only be found this way.
import { readFile } from 'node:fs/promises';

/**
 * The names matching `re` (each once: a holder's accepted connections repeat its name), as
 * `{ name, hash }` from the pattern's two groups. `re` sees the name as the kernel shows it: '@' for
 * the leading NUL and for the padding Node binds the name with.
 */
export async function boundLockNames(re: RegExp): Promise<{ name: string; hash: string }[]> {
  const text = await readFile('/proc/net/unix', 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path: a lock name has no spaces.
    const path = line.trim().split(/\s+/)[7];
    const m = path ? re.exec(path) : null;
    if (m?.[1] && m[2]) out.set(m[1], m[2]);
  }
  return [...out].map(([name, hash]) => ({ name, hash }));
}
