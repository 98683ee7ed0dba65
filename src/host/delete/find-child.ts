// One `find -delete` child for the bulk path (bulk-find.ts): started as
// setpriv --pdeathsig KILL -- unshare --mount --propagation private -- sh -c SCRIPT find, every step
// an exec (never a fork), so the find that finally runs still dies with us. It says "ready", waits
// for "go" and its NUL-separated names on stdin, and prints one "<type> <size>" line per entry it
// removed, which is parsed here byte by byte into tallies.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Tally } from './walk-state.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'];
const FIND = ['/usr/bin/find', '/bin/find'];
const SH = '/bin/sh';

export type Tools = { setpriv: string; unshare: string; find: string };
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
    if (!setpriv || !unshare || !find || !firstExecutable([SH])) tools = 'setpriv, unshare, find or sh is missing';
    else tools = findVersionRefusal(find) ?? { setpriv, unshare, find };
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
 * Only the entries named on stdin after "go" (NUL-separated, -files0-from): single path
 * components of the working directory, so no symlink on the way can be followed (-P never follows
 * the starting point itself), and a name starting with '-' is never taken for an option.
 */
const SCRIPT =
  'echo ready; read go && [ "$go" = go ] || exit 92; exec "$0" -files0-from - -xdev -links +0 -delete -printf "%y %s\\n"';

export interface Child {
  proc: ChildProcess;
  ready: Promise<boolean>;
  closed: Promise<number | null>;
  stderr: () => string;
}

export function startChild(t: Tools, rootFd: number, onTally: (d: Tally) => void): Child {
  const proc = spawn(
    t.setpriv,
    ['--pdeathsig', 'KILL', '--', t.unshare, '--mount', '--propagation', 'private', '--', SH, '-c', SCRIPT, t.find],
    { cwd: `/proc/${process.pid}/fd/${rootFd}`, env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, stdio: 'pipe' },
  );
  let stderr = '';
  let started = false;
  let head = '';
  let type = -1;
  let size = 0;
  let onReady: (ok: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((r) => (onReady = r));
  // find's lines are "<type> <size>\n", read byte by byte (no string per line: a big tree prints
  // hundreds of thousands). Before them comes the child's "ready" line.
  proc.stdout!.on('data', (chunk: Buffer) => {
    let i = 0;
    if (!started) {
      const nl = chunk.indexOf(10);
      head += chunk.toString('latin1', 0, nl < 0 ? chunk.length : nl);
      if (nl < 0) return;
      started = true;
      onReady(head === 'ready');
      i = nl + 1;
    }
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
      onReady(false);
      resolve(null);
    });
    proc.on('close', (code) => {
      onReady(false); // no-op once ready
      resolve(code);
    });
  });
  return { proc, ready, closed, stderr: () => stderr.trim() };
}
