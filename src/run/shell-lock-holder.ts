// The holder of a shell script's build lock (shell-lock.ts): a tiny process in a session of its own,
// with / as its working directory and no file open, so that it never keeps the tree it guards busy.
// It takes the same build lock on the tree as `isoswarm run` does (refused the same way while a cleanup,
// teardown or another build has it), notes itself in the run's journal, tells the CLI call that started
// it, and holds the lock until it is told to let go (SIGTERM, from `shell-run close`) or the script's
// shell is gone (its pid with its start time: a reused pid does not keep the lock; a second pid, the
// pipeline subshell that called init_optimization_system, keeps it too). Then it exits.
// Usage: shell-lock-holder.js JOURNAL RUN_ID TREE MEMORY_DIR SHELL_PID SHELL_START [PID2 START2]
import { appendFileSync, closeSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { takeRunBuildLock } from '../host/guard/build-lock.js';
import { isAlive, refOf, type ProcessRef } from '../host/proc/process-identity.js';
import { writerLockName } from '../memory/writer-lock.js';
import type { HolderReply } from './shell-lock.js';
import { readLines, type LockLine } from './shell-run.js';

/** How often the shell is looked at: a killed shell's lock is let go within about this long. */
const WATCH_MS = 250;

function reply(m: HolderReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });
}

async function refuse(reason: string): Promise<never> {
  await reply({ t: 'refused', reason });
  process.exit(3);
}

/**
 * Closes the fds the script's shell passed down through the CLI (an `exec 9>file` with a flock on it,
 * a log on a mount in the tree): held here they would keep the flock, or the mount busy, for as long
 * as the lock. Node's own fds are all close-on-exec; the inherited ones are not, but the IPC channel.
 */
function closeInheritedFds(): void {
  const channel = Number(process.env.NODE_CHANNEL_FD ?? -1);
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd < 3 || fd === channel) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) closeSync(fd);
    } catch {
      // Gone meanwhile (the fd readdir itself had open).
    }
  }
}

function closed(file: string): boolean {
  return readLines(file).some((l) => l.kind === 'close');
}

async function main(): Promise<void> {
  closeInheritedFds();
  const [file, runId, tree, memoryDir, ...pidArgs] = process.argv.slice(2);
  if (
    !file ||
    !runId ||
    !tree ||
    !memoryDir ||
    ![2, 4].includes(pidArgs.length) ||
    !pidArgs.every((a) => /^\d+$/.test(a))
  ) {
    await reply({
      t: 'failed',
      reason: 'usage: shell-lock-holder JOURNAL RUN_ID TREE MEMORY_DIR SHELL_PID SHELL_START [PID2 START2]',
    });
    process.exit(2);
  }
  // The script's Ctrl-C or hang-up ends the shell, and that ends the hold; not the holder alone.
  for (const s of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(s, () => undefined);
  const shells: ProcessRef[] = [];
  for (let i = 0; i < pidArgs.length; i += 2)
    shells.push({ pid: Number(pidArgs[i]), startTime: Number(pidArgs[i + 1]) });
  const shell = shells[0]!;
  const shellAlive = (): boolean => shells.some(isAlive);
  if (!shellAlive()) await refuse(`the script's shell (pid ${shell.pid}) that opened run ${runId} is gone`);
  // This home's memory writer lock is no cleanup (as for `isoswarm run`, chroot-lock.ts).
  const memory = existsSync(memoryDir) ? [writerLockName(memoryDir)] : [];
  const label = `run ${runId} (shell pid ${shell.pid}, lock holder pid ${process.pid}) is building in it`;
  const r = await takeRunBuildLock(tree, label, memory);
  if (!r.ok) return refuse(r.reason);
  const me = refOf(process.pid);
  if (!me) return refuse('cannot read its own process start time');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await r.lock.release();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  // A shell gone between the look above and now is caught at the first tick.
  const timer = setInterval(() => !shellAlive() && void stop(), WATCH_MS);
  // Noted before the CLI is told, so that `shell-run close` finds every holder it was told of.
  appendFileSync(file, `${JSON.stringify({ kind: 'lock', tree, holder: me } satisfies LockLine)}\n`);
  // `shell-run close` writes its line before it lets go of the holders the journal names: either it
  // saw this one's line, or this one sees its close line now and lets go itself.
  if (closed(file)) {
    clearInterval(timer);
    stopping = true;
    await r.lock.release();
    return refuse(`run ${runId} is closed (generate_build_report): it locks no more trees`);
  }
  await reply({ t: 'held', holder: me });
  process.disconnect?.();
}

main().catch(async (e: unknown) => {
  await reply({ t: 'failed', reason: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
