// Finds the processes that live in a chroot (their root is in it) and those that merely use it
// (cwd, executable, open files, mappings). Only the first kind may ever be signalled.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { isAtOrUnder } from '../fs/paths.js';
import { parseStatFields } from './process-identity.js';

export interface ProcessInfo {
  pid: number;
  comm: string;
  /** Arguments joined with spaces (NULs in /proc/PID/cmdline become spaces). */
  cmdline: string;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): with the pid, names one process for good. */
  startTime: number;
  /** Where /proc/PID/root points, as seen from our root. */
  root?: string;
}

export type HolderUse = { kind: 'cwd' | 'exe' | 'fd' | 'map'; path: string };
export interface Holder extends ProcessInfo {
  uses: HolderUse[];
}

export interface ProcStat {
  comm: string;
  state: string;
  startTime: number;
}

/** Parses /proc/PID/stat; the comm may contain spaces and ')' so fields are read after the LAST ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = parseStatFields(text);
  return f ? { comm: text.slice(open + 1, close), state: f.state, startTime: f.startTime } : null;
}

/** null when the process is gone (or was never there). */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

async function readCmdline(pid: number): Promise<string> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

async function link(p: string): Promise<string | null> {
  try {
    return await readlink(p);
  } catch {
    return null;
  }
}

/** Numeric /proc entries other than our own pid. */
export async function listPids(): Promise<number[]> {
  const self = process.pid;
  return (await readdir('/proc'))
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number)
    .filter((p) => p !== self);
}

/**
 * The process's root is at or below the target AND /proc/PID/root is the very directory that path
 * names here (same device and inode), so a stale or namespaced path string alone never counts.
 */
export async function rootedIn(pid: number, realTarget: string): Promise<string | null> {
  const root = await link(`/proc/${pid}/root`);
  if (root === null || !isAtOrUnder(root, realTarget)) return null;
  try {
    const [viaProc, viaPath] = await Promise.all([
      stat(`/proc/${pid}/root`, { bigint: true }),
      stat(root, { bigint: true }),
    ]);
    return viaProc.dev === viaPath.dev && viaProc.ino === viaPath.ino ? root : null;
  } catch {
    return null;
  }
}

async function describe(pid: number, root?: string): Promise<ProcessInfo | null> {
  const st = await readProcStat(pid);
  if (st === null || st.state === 'Z') return null;
  const info: ProcessInfo = { pid, comm: st.comm, cmdline: await readCmdline(pid), startTime: st.startTime };
  if (root !== undefined) info.root = root;
  return info;
}

/** Runs `fn` over `items` with bounded concurrency, keeping input order; /proc reads are cheap but many. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Processes whose root directory is the target or a folder inside it (they belong to the chroot). */
export async function processesRootedIn(realTarget: string): Promise<ProcessInfo[]> {
  const found = await mapLimit(await listPids(), 32, async (pid) => {
    const root = await rootedIn(pid, realTarget);
    return root === null ? null : describe(pid, root); // vanished mid-scan: simply not listed
  });
  return found.filter((p): p is ProcessInfo => p !== null);
}

/** The kernel marks links to unlinked files with " (deleted)"; the path is what came before it. */
export function stripDeleted(p: string): string {
  return p.endsWith(' (deleted)') ? p.slice(0, -' (deleted)'.length) : p;
}

async function usesOf(pid: number, realTarget: string): Promise<HolderUse[]> {
  const uses: HolderUse[] = [];
  const seen = new Set<string>();
  const add = (kind: HolderUse['kind'], p: string | null): void => {
    if (p === null || !p.startsWith('/')) return; // sockets, pipes, anon inodes
    const path = stripDeleted(p);
    if (!isAtOrUnder(path, realTarget) || seen.has(kind + path)) return;
    seen.add(kind + path);
    uses.push({ kind, path });
  };
  add('cwd', await link(`/proc/${pid}/cwd`));
  add('exe', await link(`/proc/${pid}/exe`));
  let fds: string[] = [];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    /* gone, or a kernel thread */
  }
  for (const p of await Promise.all(fds.map((fd) => link(`/proc/${pid}/fd/${fd}`)))) add('fd', p);
  try {
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
    for (const line of maps.split('\n')) {
      const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\/.*)$/.exec(line);
      if (m?.[1]) add('map', m[1].replace(/\\012/g, '\n'));
    }
  } catch {
    /* gone */
  }
  return uses;
}

/**
 * Processes NOT rooted in the target that still use something inside it: reported so a person can
 * decide, never signalled (the user's shell, an editor, an indexer).
 */
export async function holdersInside(realTarget: string): Promise<Holder[]> {
  const found = await mapLimit(await listPids(), 32, async (pid): Promise<Holder | null> => {
    if ((await rootedIn(pid, realTarget)) !== null) return null;
    const uses = await usesOf(pid, realTarget);
    if (uses.length === 0) return null;
    const info = await describe(pid);
    return info ? { ...info, uses } : null;
  });
  return found.filter((h): h is Holder => h !== null);
}
