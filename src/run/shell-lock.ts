// The build lock of a shell script's run (shell-run.ts). `init_optimization_system --chroot DIR` and
// `optimize_performance --target DIR` name the tree the script builds in; from then until
// generate_build_report (`shell-run close`) or the script's shell dies, the same build lock as
// `isoswarm run` takes is held on it, so a cleanup, teardown or second run of the tree is refused and
// names the run, while the script's own calls (ISOSWARM_RUN_ID) may still take it apart. The shell
// functions' CLI calls are short-lived, so a holder process (shell-lock-holder.ts) holds it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { StatePaths } from '../host/system/state-dir.js';
import {
  isAlive,
  processStartTime,
  signalIfSame,
  waitForExit,
  type ProcessRef,
} from '../host/proc/process-identity.js';
import { distPath } from '../package-root.js';
import { realChrootPath } from './chroot-real-path.js';
import { journal, readLines, ShellRunError, type LockLine, type OpenLine } from './shell-run.js';

export const holderEntry = distPath('src', 'run', 'shell-lock-holder.js');

/** What a holder tells the CLI call that started it, over the IPC channel. */
export type HolderReply =
  { t: 'held'; holder: ProcessRef } | { t: 'refused'; reason: string } | { t: 'failed'; reason: string };

/** The tree is not locked: a cleanup, teardown or another build has it, or the script's shell is gone. */
export class ShellLockRefusal extends Error {}

/** Longer than a holder's checks take (each is bounded), on a loaded machine too. */
const START_MS = 60_000;
/** How long a holder told to let go may take before it is killed (it holds nothing else). */
const STOP_MS = 10_000;

function runLines(paths: StatePaths, runId: string) {
  const file = journal(paths, runId);
  if (!existsSync(file)) throw new ShellRunError(`no shell run "${runId}" (opened by init_optimization_system)`);
  return { file, lines: readLines(file) };
}

function isHolder(ref: ProcessRef): boolean {
  try {
    return isAlive(ref) && readFileSync(`/proc/${ref.pid}/cmdline`, 'latin1').includes(holderEntry);
  } catch {
    return false;
  }
}

/**
 * Holds the build lock on `dir` for the run until it is closed or its shell dies. A tree the run
 * already holds is held once. Throws ShellLockRefusal when the lock cannot be had.
 */
export async function lockShellRunTree(
  paths: StatePaths,
  runId: string,
  dir: string,
  /** Why the path policy never lets the tree be taken apart (then it is not locked), or null. */
  notAllowed: (tree: string) => Promise<string | null> = async () => null,
): Promise<{ tree: string; holder: ProcessRef | null; already: boolean; notLocked: string | null }> {
  const { file, lines } = runLines(paths, runId);
  const open = lines.find((l): l is OpenLine => l.kind === 'open');
  if (!open) throw new ShellRunError(`shell run "${runId}" has no opening line`);
  if (lines.some((l) => l.kind === 'close'))
    throw new ShellRunError(`shell run "${runId}" is closed (generate_build_report): it locks no more trees`);
  const tree = realChrootPath(dir);
  const held = lines.find((l): l is LockLine => l.kind === 'lock' && l.tree === tree && isHolder(l.holder));
  if (held) return { tree, holder: held.holder, already: true, notLocked: null };
  const why = await notAllowed(tree);
  if (why) return { tree, holder: null, already: false, notLocked: why };
  // A journal from before shells were recorded with their start time: the pid's start time now.
  const startTime = open.pidStart ?? processStartTime(open.pid);
  const shells = [...(startTime === null ? [] : [{ pid: open.pid, startTime }]), ...(open.also ? [open.also] : [])];
  if (!shells.some(isAlive))
    throw new ShellLockRefusal(`the script's shell (pid ${open.pid}) that opened run ${runId} is gone`);
  const watched = shells.flatMap((r) => [String(r.pid), String(r.startTime)]);
  const holder = await startHolder([file, runId, tree, paths.memory, ...watched]);
  return { tree, holder, already: false, notLocked: null };
}

function startHolder(args: string[]): Promise<ProcessRef> {
  return new Promise((resolve, reject) => {
    // Its own session, no terminal, / as its working directory: it keeps no tree busy.
    const child = spawn(process.execPath, [holderEntry, ...args], {
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    let settled = false;
    const done = (e: Error | null, ref?: ProcessRef): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      child.unref();
      if (e) reject(e);
      else resolve(ref!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`the lock holder did not take the lock within ${START_MS / 1000} s`));
    }, START_MS);
    child.once('error', (e) => done(new Error(`cannot start the lock holder: ${e.message}`)));
    child.on('message', (m: HolderReply) => {
      if (m.t === 'held') done(null, m.holder);
      else if (m.t === 'refused') done(new ShellLockRefusal(m.reason));
      else done(new Error(`the lock holder failed: ${m.reason}`));
    });
    child.once('exit', (code, signal) =>
      done(new Error(`the lock holder ended (${signal ?? `exit ${code}`}) before it held the lock`)),
    );
  });
}

/**
 * Tells the run's holders to let go and waits until they have exited (a holder that does not is
 * killed: it is ours, checked by pid, start time and command line). Returns the trees still held.
 */
export async function releaseShellRunLocks(paths: StatePaths, runId: string): Promise<string[]> {
  const left: string[] = [];
  for (const l of runLines(paths, runId).lines) {
    if (l.kind !== 'lock' || !isHolder(l.holder)) continue;
    signalIfSame(l.holder, 'SIGTERM');
    if (await waitForExit(l.holder, STOP_MS)) continue;
    if (isHolder(l.holder)) signalIfSame(l.holder, 'SIGKILL');
    if (!(await waitForExit(l.holder, 2_000))) left.push(l.tree);
  }
  return left;
}
