// The holder of a shell script's build lock (shell-lock.ts): a tiny process in a session of its own,
// with / as its working directory and no file open, so that it never keeps the tree it guards busy.
// It takes the same build lock on the tree as `isoswarm run` does (refused the same way while a cleanup,
// teardown or another build has it), notes itself in the run's journal, tells the CLI call that started
// it, and holds the lock until it is told to let go (SIGTERM, from `shell-run close`) or the script's
// shell is gone (its pid with its start time: a reused pid does not keep the lock). Then it exits.
// Usage: shell-lock-holder.js JOURNAL RUN_ID TREE SHELL_PID SHELL_START_TIME MEMORY_DIR
import { appendFileSync, existsSync } from 'node:fs';
import { takeRunBuildLock } from '../host/guard/build-lock.js';
import { isAlive, refOf, type ProcessRef } from '../host/proc/process-identity.js';
import { writerLockName } from '../memory/writer-lock.js';
import type { HolderReply } from './shell-lock.js';
import type { LockLine } from './shell-run.js';

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

async function main(): Promise<void> {
  const [file, runId, tree, pidArg, startArg, memoryDir] = process.argv.slice(2);
  if (!file || !runId || !tree || !memoryDir || !/^\d+$/.test(pidArg ?? '') || !/^\d+$/.test(startArg ?? '')) {
    await reply({
      t: 'failed',
      reason: 'usage: shell-lock-holder JOURNAL RUN_ID TREE SHELL_PID SHELL_START MEMORY_DIR',
    });
    process.exit(2);
  }
  // The script's Ctrl-C or hang-up ends the shell, and that ends the hold; not the holder alone.
  for (const s of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(s, () => undefined);
  const shell: ProcessRef = { pid: Number(pidArg), startTime: Number(startArg) };
  if (!isAlive(shell)) await refuse(`the script's shell (pid ${shell.pid}) that opened run ${runId} is gone`);
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
  const timer = setInterval(() => !isAlive(shell) && void stop(), WATCH_MS);
  // Noted before the CLI is told, so that `shell-run close` finds every holder it was told of.
  appendFileSync(file, `${JSON.stringify({ kind: 'lock', tree, holder: me } satisfies LockLine)}\n`);
  await reply({ t: 'held', holder: me });
  process.disconnect?.();
}

main().catch(async (e: unknown) => {
  await reply({ t: 'failed', reason: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
