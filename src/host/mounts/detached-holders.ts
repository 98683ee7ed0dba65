// Who still keeps a lazily detached mount alive. A detached mount is in no mount table any more
// (not ours, not /proc/PID/mountinfo of any process), so the mount table cannot say whether it is
// gone. What keeps it alive is a reference: an open file, a working directory or root, a mapped
// file. Each of them carries the mount's id: /proc/PID/fdinfo/N says `mnt_id` for open files
// (read, never reopened: reopening a FIFO blocks and reopening a device has side effects), and
// cwd, root and map_files are opened with O_PATH (no open(2) of the file itself) and our own fd's
// mnt_id read. Not visible this way: in-kernel users (a loop device or swap file backed by a file
// on the mount), which the Unmounter's loop detach handles before any lazy detach.
import { open } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { closeFd, mountIdOfFd } from '../fs/dir-fd.js';

/** O_PATH (Linux; the same value on x86-64 and arm64): a handle without opening the file. */
const O_PATH = 0o10000000;
const openFd = promisify(open);

export interface DetachedHolder {
  pid: number;
  comm: string;
  mountId: number;
  /** e.g. `fd 3`, `cwd`, `root`, `map 7f1c...-7f1d...`. */
  uses: string[];
}

export interface HolderScan {
  holders: DetachedHolder[];
  /** Processes that exist but could not be inspected: whether they hold a mount is unknown. */
  unreadable: { pid: number; error: string }[];
}

const gone = (e: unknown): boolean => ['ENOENT', 'ESRCH'].includes((e as NodeJS.ErrnoException).code ?? '');

async function mountIdVia(path: string): Promise<number | null> {
  let fd: number;
  try {
    fd = await openFd(path, O_PATH);
  } catch (e) {
    if (gone(e)) return null;
    throw e;
  }
  try {
    return mountIdOfFd(fd);
  } finally {
    await closeFd(fd);
  }
}

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (gone(e)) return [];
    throw e;
  }
}

async function scanPid(pid: number, ids: ReadonlySet<number>): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  const note = (id: number | null, use: string): void => {
    if (id !== null && ids.has(id)) found.set(id, [...(found.get(id) ?? []), use]);
  };
  for (const n of await listOrEmpty(`/proc/${pid}/fdinfo`)) {
    const text = await readFile(`/proc/${pid}/fdinfo/${n}`, 'latin1').catch((e: unknown) =>
      gone(e) ? '' : Promise.reject(e),
    );
    const m = /^mnt_id:\s*(\d+)/m.exec(text);
    if (m?.[1]) note(Number(m[1]), `fd ${n}`);
  }
  for (const link of ['cwd', 'root']) note(await mountIdVia(`/proc/${pid}/${link}`), link);
  for (const range of await listOrEmpty(`/proc/${pid}/map_files`))
    note(await mountIdVia(`/proc/${pid}/map_files/${range}`), `map ${range}`);
  return found;
}

/** Every live process referencing one of the mount ids (open file, cwd, root, mapping). */
export async function holdersOfMountIds(ids: ReadonlySet<number>): Promise<HolderScan> {
  const out: HolderScan = { holders: [], unreadable: [] };
  if (ids.size === 0) return out;
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  for (const pid of pids) {
    let found: Map<number, string[]>;
    try {
      found = await scanPid(pid, ids);
    } catch (e) {
      if (!gone(e)) out.unreadable.push({ pid, error: (e as NodeJS.ErrnoException).code ?? String(e) });
      continue;
    }
    if (found.size === 0) continue;
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
    for (const [mountId, uses] of found) out.holders.push({ pid, comm, mountId, uses });
  }
  return out;
}
