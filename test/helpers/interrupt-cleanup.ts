// A test process killed with SIGTERM or SIGINT (a runner's timeout, Ctrl-C, `kill`) runs no after()
// hooks and no finally blocks: its mounts and servers would stay. The cleanups registered here run
// then instead, newest first and synchronously (the process is about to exit), before it exits
// with the signal's status. A cleanup is unregistered once the test's own cleanup has run.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { parseMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';

interface Entry {
  what: string;
  fn: () => void;
}

const cleanups = new Map<number, Entry>();
let seq = 0;
let installed = false;

/** Registers `fn` to run if this process is stopped by SIGTERM or SIGINT; returns the unregister. */
export function onInterrupt(what: string, fn: () => void): () => void {
  if (!installed) {
    installed = true;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => runAll(sig));
  }
  const id = seq++;
  cleanups.set(id, { what, fn });
  return () => void cleanups.delete(id);
}

function runAll(sig: 'SIGTERM' | 'SIGINT'): void {
  const todo = [...cleanups].reverse();
  if (todo.length) process.stderr.write(`test interrupted by ${sig}: running ${todo.length} cleanup(s)\n`);
  for (const [id, c] of todo) {
    cleanups.delete(id);
    try {
      c.fn();
    } catch (e) {
      process.stderr.write(`  cleanup "${c.what}" failed: ${String(e)}\n`);
    }
  }
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

/** Kills a process group the test started (its leader's pid), if it is still there. */
export function killGroupSync(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * Test cleanup only: unmounts everything at or under `dir` (deepest first, to a fixed point; a lazy
 * detach only when a pass makes no progress), detaches loop devices backed by files under it, and
 * removes it when nothing is mounted there any more.
 */
export function unmountAndRemoveSync(dir: string): void {
  const under = () =>
    parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => isAtOrUnder(m.mountPoint, dir));
  for (let pass = 0; pass < 20; pass++) {
    const ms = under();
    if (ms.length === 0) break;
    let progress = false;
    for (const m of ms.reverse())
      if (spawnSync('umount', ['--no-canonicalize', '--', m.mountPoint]).status === 0) progress = true;
    if (!progress) for (const m of ms) spawnSync('umount', ['--lazy', '--no-canonicalize', '--', m.mountPoint]);
  }
  const loops = spawnSync('losetup', ['--noheadings', '--raw', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
  for (const line of (loops.stdout ?? '').split('\n')) {
    const [name, back] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (name && back && isAtOrUnder(back, dir)) spawnSync('losetup', ['--detach', name]);
  }
  const left = under();
  if (left.length > 0) {
    process.stderr.write(`  still mounted under ${dir}, not removed: ${left.map((m) => m.mountPoint).join(', ')}\n`);
    return;
  }
  if (dir.startsWith('/tmp/isoswarm-test-')) rmSync(dir, { recursive: true, force: true });
}
