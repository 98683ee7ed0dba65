// Bulk removal by the system's `find -delete`, for a tree the deleter has already resolved, judged
// by the policy and pinned (an open fd, checked "dev:ino"). Node pays several microseconds of call
// overhead on every /proc/self/fd path; GNU find does the same fstatat/unlinkat work in C through
// fts, at `rm -rf` speed. Why it cannot reach outside the tree:
// - Its working directory is the pinned directory itself, entered through /proc/<our pid>/fd/<fd>:
//   no path is looked up, so a swapped ancestor or a symlink put in its place is never followed.
// - It runs in a private mount namespace made before anything is deleted. In that namespace
//   (/proc/<child>/mountinfo, /proc/<child>/cwd) we check that its working directory is still the
//   planned "dev:ino" and that no mount point lies at or below it (by path component: same-file-
//   system binds included, which `-xdev`/`--one-file-system` cannot see). Mounts made on the host
//   later do not propagate into a private namespace, so find can never enter one; `-xdev` stays as
//   a second guard. Only then does the child get "go" on its stdin.
// - find never follows symlinks (-P, its default): a link to a host folder is unlinked as a link.
// Counts: `-printf '%y %s'` runs right before each `-delete`, so files, folders and apparent bytes
// are exact when find succeeds; when it fails on something, the caller subtracts what is left.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, readlinkSync, statSync } from 'node:fs';
import { parseMountinfo } from '../mounts/mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';
import type { Tally } from './walk-state.js';
import { treeSize } from '../walk/tree-size.js';

const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'];
const FIND = ['/usr/bin/find', '/bin/find'];
const SH = '/bin/sh';

export type BulkOutcome =
  { ran: true; tally: Tally; exitCode: number | null; stderr: string } | { ran: false; why: string };

let tools: { unshare: string; find: string } | null | undefined;

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

/** unshare(1) needs CAP_SYS_ADMIN: only root takes this path; everyone else uses the walker. */
export function bulkToolsAvailable(): boolean {
  if (tools === undefined) {
    const unshare = firstExecutable(UNSHARE);
    const find = firstExecutable(FIND);
    tools = unshare && find && firstExecutable([SH]) ? { unshare, find } : null;
  }
  return tools !== null && process.getuid?.() === 0;
}

/** Why the child's view is unsafe to delete in (null: safe). Read from its own namespace. */
function childViewRefusal(pid: number, rootPath: string, fileId: string): string | null {
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

const SCRIPT =
  'echo ready; read go && [ "$go" = go ] || exit 92; exec "$0" . -mindepth 1 -xdev -printf "%y %s\\n" -delete';

/**
 * Removes everything below the pinned directory `rootFd` (itself kept: the caller removes it
 * through its parent fd). `fileId` is the "dev:ino" the directory was pinned with. `onChecked`
 * runs after the checks, right before "go" (tests make a mount there).
 */
export function bulkRemove(
  rootFd: number,
  rootPath: string,
  fileId: string,
  onTally: (d: Tally) => void,
  onChecked?: () => void,
): Promise<BulkOutcome> {
  const t = bulkToolsAvailable() ? tools : null;
  if (!t) return Promise.resolve({ ran: false, why: 'not root, or unshare or find is missing' });
  return new Promise((resolve) => {
    const child = spawn(t.unshare, ['--mount', '--propagation', 'private', '--', SH, '-c', SCRIPT, t.find], {
      cwd: `/proc/${process.pid}/fd/${rootFd}`,
      env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tally: Tally = { files: 0, dirs: 0, bytes: 0 };
    let started = false;
    let refused: string | null = null;
    let carry = '';
    let stderr = '';
    const take = (line: string): void => {
      if (!started) {
        if (line !== 'ready') return;
        started = true;
        refused = child.pid === undefined ? 'no child pid' : childViewRefusal(child.pid, rootPath, fileId);
        if (refused === null) onChecked?.();
        child.stdin.end(refused === null ? 'go\n' : 'stop\n');
        return;
      }
      const sp = line.indexOf(' ');
      if (line[0] === 'd') tally.dirs++;
      else {
        tally.files++;
        tally.bytes += Number(line.slice(sp + 1)) || 0;
      }
    };
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      const before = { ...tally };
      const lines = (carry + chunk).split('\n');
      carry = lines.pop() ?? '';
      for (const l of lines) take(l);
      const d = {
        files: tally.files - before.files,
        dirs: tally.dirs - before.dirs,
        bytes: tally.bytes - before.bytes,
      };
      if (d.files || d.dirs) onTally(d);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < 4000) stderr += s;
    });
    child.stdin.on('error', () => undefined); // the child may be gone before "go" arrives
    child.on('error', (e) => resolve({ ran: false, why: `cannot start ${t.unshare}: ${String(e)}` }));
    child.on('close', (code) => {
      if (!started)
        resolve({ ran: false, why: `the child stopped before it was ready (exit ${code}): ${stderr.trim()}` });
      else if (refused !== null) resolve({ ran: false, why: refused });
      else resolve({ ran: true, tally, exitCode: code, stderr: stderr.trim() });
    });
  });
}

export interface BulkResult {
  /** find did the bulk of the work (the walker still finishes whatever it left). */
  ran: boolean;
  /** How the counts were measured, or why the walker does it all. */
  note: string;
}

/**
 * Runs bulkRemove and keeps the caller's tally honest: when find failed on something, what it
 * printed includes entries still there, so what is left is counted (without following links or
 * crossing mounts) and taken off again; the walker that runs next counts what it then removes.
 */
export async function removeInBulk(
  rootFd: number,
  rootPath: string,
  fileId: string,
  add: (d: Tally) => void,
): Promise<BulkResult> {
  const b = await bulkRemove(rootFd, rootPath, fileId, add);
  if (!b.ran) return { ran: false, note: `walker (find not used: ${b.why})` };
  if (b.exitCode === 0) return { ran: true, note: "find -printf '%y %s' before each -delete (exact)" };
  const left = await treeSize(`/proc/self/fd/${rootFd}/.`).catch(() => null);
  if (left) add({ files: -left.files, dirs: -left.dirs, bytes: -left.bytes });
  const first = b.stderr.split('\n')[0] ?? '';
  return {
    ran: true,
    note: `find exited ${b.exitCode} (${first}); ${left ? 'what it left was counted and taken off' : 'what it left could not be counted: counts may be high'}`,
  };
}
