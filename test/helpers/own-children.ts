// The live child processes of this test process (a delete's find children would be), and a way to
// make a spawn in a directory fd throw as it does for a cwd that is not a directory.
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

/** "<pid> (<comm>)" of each live process whose parent is this process. */
export function ourChildren(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'latin1');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid) out.push(`${p} ${st.slice(st.indexOf('('), st.lastIndexOf(')') + 1)}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** SIGKILL to every child left (only after a failed assertion: the test's own processes). */
export function killOurChildren(): void {
  for (const c of ourChildren()) {
    try {
      process.kill(Number(c.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * Puts the regular file `file` at fd number `fd` (closed first): `/proc/self/fd/<fd>` is then no
 * directory, and a spawn with it as cwd throws ENOTDIR. open takes the lowest free number, so
 * lower free numbers are filled first and given back. The owner of `fd` closes the file.
 */
export function fileAtFd(fd: number, file: string): void {
  closeSync(fd);
  const fillers: number[] = [];
  try {
    for (let i = 0; i <= fd; i++) {
      const got = openSync(file, 'r');
      if (got === fd) return;
      fillers.push(got);
    }
    throw new Error(`fd ${fd} was not given back`);
  } finally {
    for (const f of fillers) closeSync(f);
  }
}
