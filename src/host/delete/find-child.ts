// One `find -delete` child for the bulk path (bulk-find.ts): started as
// setpriv --pdeathsig KILL -- unshare --mount --propagation private -- find ..., every step an exec
// (never a fork), so the find that finally runs still dies with us. find reads the names to remove
// (NUL-separated) from its stdin, and nothing else: until the names are written ("go"), it has
// nothing to remove, and a child stopped before "go" is killed. It is ready once the process is
// find itself (/proc/PID/exe): unshare made its namespace private before that exec, so from then on
// its namespace can be checked and gains no mount from the host. It prints one "<type> <size>"
// line per entry it removed, which is parsed here byte by byte into tallies.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readlinkSync, realpathSync } from 'node:fs';
import type { Tally } from './walk-state.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'];
const FIND = ['/usr/bin/find', '/bin/find'];

export type Tools = { setpriv: string; unshare: string; find: string; findReal: string };
let tools: Tools | string | undefined;

function firstExecutable(paths: string[]): string | null {
  for (const p of paths) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* try the next */
    }
  }
  return null;
}

/** GNU findutils >= 4.9 (-files0-from); a string says why not. Asked once per process. */
function findVersionRefusal(find: string): string | null {
  const r = spawnSync(find, ['--version'], { encoding: 'utf8', env: { LC_ALL: 'C' } });
  const m = /GNU findutils\)\s+(\d+)\.(\d+)/.exec(r.stdout ?? '');
  if (!m) return `${find} is not GNU findutils`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 4 || (major === 4 && minor >= 9) ? null : `${find} is findutils ${major}.${minor}, not >= 4.9`;
}

/** null when the bulk path can run here (root, setpriv, unshare, GNU find >= 4.9); else why not. */
export function bulkUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (unshare needs CAP_SYS_ADMIN)';
  if (tools === undefined) {
    const setpriv = firstExecutable(SETPRIV);
    const unshare = firstExecutable(UNSHARE);
    const find = firstExecutable(FIND);
    if (!setpriv || !unshare || !find) tools = 'setpriv, unshare or find is missing';
    else tools = findVersionRefusal(find) ?? { setpriv, unshare, find, findReal: realpathSync(find) };
  }
  return typeof tools === 'string' ? tools : null;
}

export function bulkToolsAvailable(): boolean {
  return bulkUnavailable() === null;
}

/** The tools found by bulkUnavailable (null when it said no). */
export function bulkTools(): Tools | null {
  return typeof tools === 'object' ? tools : null;
}

/**
 * Only the entries named on stdin at "go" (NUL-separated, -files0-from; no name, nothing done):
 * single path components of the working directory, so no symlink on the way can be followed (-P
 * never follows the starting point itself), and a name starting with '-' is never taken for an option.
 */
const FIND_ARGS = ['-files0-from', '-', '-xdev', '-links', '+0', '-delete', '-printf', '%y %s\n'];

export interface Child {
  proc: ChildProcess;
  /** Settles true once the process is find, false if it ended before. */
  ready: Promise<boolean>;
  /** The same, asked now (a readlink): a caller that polls anyway learns it without a timer. */
  readyNow(): boolean;
  closed: Promise<number | null>;
  stderr: () => string;
}

export function startChild(t: Tools, rootFd: number, onTally: (d: Tally) => void): Child {
  const proc = spawn(
    t.setpriv,
    ['--pdeathsig', 'KILL', '--', t.unshare, '--mount', '--propagation', 'private', '--', t.find, ...FIND_ARGS],
    { cwd: `/proc/${process.pid}/fd/${rootFd}`, env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, stdio: 'pipe' },
  );
  let stderr = '';
  let type = -1;
  let size = 0;
  let isFind = false;
  let ended = false;
  let onReady: (ok: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((r) => (onReady = r));
  const readyNow = (): boolean => {
    // Not yet reaped (reaping happens on this thread, never inside this call): the pid is still ours.
    if (isFind || ended || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return isFind;
    try {
      isFind = readlinkSync(`/proc/${proc.pid}/exe`) === t.findReal;
    } catch {
      /* not started yet, or gone (then "close" settles it) */
    }
    if (isFind) onReady(true);
    return isFind;
  };
  // Polled until then: a few execs, milliseconds.
  const poll = setInterval(() => readyNow() && clearInterval(poll), 1);
  // find's lines are "<type> <size>\n", read byte by byte (no string per line: a big tree prints
  // hundreds of thousands).
  proc.stdout!.on('data', (chunk: Buffer) => {
    let i = 0;
    const d: Tally = { files: 0, dirs: 0, bytes: 0 };
    for (; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (type < 0) {
        type = c;
        size = 0;
      } else if (c >= 48 && c <= 57) size = size * 10 + (c - 48);
      else if (c === 10) {
        if (type === 100)
          d.dirs++; // 'd'
        else {
          d.files++;
          d.bytes += size;
        }
        type = -1;
      }
    }
    if (d.files || d.dirs) onTally(d);
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => {
    if (stderr.length < 4000) stderr += s;
  });
  proc.stdin!.on('error', () => undefined); // the child may be gone before "go" arrives
  const closed = new Promise<number | null>((resolve) => {
    proc.on('error', (e) => {
      stderr += `cannot start ${t.setpriv}: ${String(e)}`;
      ended = true;
      clearInterval(poll);
      onReady(false);
      resolve(null);
    });
    proc.on('close', (code) => {
      ended = true;
      clearInterval(poll);
      onReady(false); // no-op once ready
      resolve(code);
    });
  });
  return { proc, ready, readyNow, closed, stderr: () => stderr.trim() };
}
