// A run's own tmpfs at its chroot path (`run --tmpfs-workdir`): mounted only on an absent or empty
// directory reached without symlinks, tagged with a source name of the run's own so that it can be
// told apart from any other mount at that path, and measured before it goes.
import { lstatSync, readdirSync, realpathSync, statfsSync } from 'node:fs';
import { describePathProblem, mkdirsNoFollow, pathProblem } from '../fs/no-follow-path.js';
import { runOk } from '../exec.js';
import { readMountinfo, type MountEntry } from './mountinfo.js';

export type WorkdirState = 'absent' | 'empty' | 'not-empty' | 'not-a-directory' | 'mounted';

/** What is at `dir` now: a tmpfs goes only where nothing is (absent or an empty directory, no mount). */
export async function workdirState(dir: string): Promise<WorkdirState> {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return 'absent';
  }
  if (!st.isDirectory()) return 'not-a-directory';
  if ((await readMountinfo()).some((m) => m.mountPoint === dir)) return 'mounted';
  return readdirSync(dir).length ? 'not-empty' : 'empty';
}

/** The mount source that marks a tmpfs as this run's own (run ids are [A-Za-z0-9_.-]). */
export function tmpfsSource(runId: string): string {
  return `isoswarm-${runId}`;
}

/** Our tmpfs at `dir`, if it is mounted there (by path, file system type and our source name). */
export function findOwnTmpfs(entries: readonly MountEntry[], dir: string, source: string): MountEntry | undefined {
  return entries.find((m) => m.mountPoint === dir && m.fsType === 'tmpfs' && m.source === source);
}

/** Mounts a tmpfs of `sizeBytes` at `dir` (created if absent); returns the new mount's id. */
export async function mountTmpfs(dir: string, sizeBytes: number, source: string): Promise<number> {
  const state = await workdirState(dir);
  if (state !== 'absent' && state !== 'empty') throw new Error(`${dir} is ${state}: no tmpfs is mounted there`);
  // Checked before anything is created: a symlinked parent would have the dirs made elsewhere.
  const problem = pathProblem(dir);
  if (problem) throw new Error(`${describePathProblem(dir, problem)}: no tmpfs is mounted there`);
  mkdirsNoFollow(dir);
  // The exact path, never through a symlink (a link could send the mount elsewhere).
  if (realpathSync(dir) !== dir) throw new Error(`${dir} is reached through a symlink: no tmpfs is mounted there`);
  await runOk('mount', ['--no-canonicalize', '-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, source, dir]);
  const m = findOwnTmpfs(await readMountinfo(), dir, source);
  if (!m) throw new Error(`mount -t tmpfs at ${dir} reported success but no such mount is visible`);
  return m.id;
}

/** Bytes in use on the tmpfs at `dir` (what the tree took there). */
export function usedBytes(dir: string): number {
  const s = statfsSync(dir);
  return (s.blocks - s.bfree) * s.bsize;
}
