// Scratch chroots with real mounts and real processes for the unmounter's tests, and a cleanup that
// always leaves the machine as it was: kill what we started, unmount children first, detach our
// loop devices, and delete the scratch dir only once nothing is mounted below it.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { run, runOk } from '../../src/host/exec.js';
import { listLoopDevices } from '../../src/host/mounts/loop-devices.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { assertHostUnchanged, hostSnapshot, readMountsSync } from './host-snapshot.js';
import { killGroupSync, onInterrupt, unmountAndRemoveSync } from './interrupt-cleanup.js';

export interface Fixture {
  scratch: string;
  chroot: string;
  policy: PathPolicy;
  homes: string[];
  children: ChildProcess[];
  canaries: Map<string, string>;
}

export async function createFixture(name: string): Promise<Fixture> {
  const scratch = realpathSync(mkdtempSync(`/tmp/isoswarm-test-${name}-`));
  const chroot = `${scratch}/chroot`;
  mkdirSync(chroot);
  const fx: Fixture = {
    scratch,
    chroot,
    policy: { safePrefixes: [scratch], deny: defaultDeny() },
    homes: ['/root'],
    children: [],
    canaries: new Map(),
  };
  // Killed by SIGTERM/SIGINT, the test runs no cleanupFixture: its processes and mounts go anyway.
  interrupted.set(
    scratch,
    onInterrupt(`fixture ${scratch}`, () => {
      for (const c of fx.children) killGroupSync(c.pid);
      unmountAndRemoveSync(scratch);
    }),
  );
  return fx;
}

const interrupted = new Map<string, () => void>();

export async function mount(...args: string[]): Promise<void> {
  await runOk('mount', args);
}

/** A bind of a host path, made a slave at once so nothing mounted inside can propagate back. */
export async function bindHost(
  src: string,
  dst: string,
  opts: { ro?: boolean; recursive?: boolean } = {},
): Promise<void> {
  mkdirSync(dst, { recursive: true });
  await mount(opts.recursive ? '--rbind' : '--bind', ...(opts.ro ? ['-o', 'ro'] : []), '--', src, dst);
  await mount(opts.recursive ? '--make-rslave' : '--make-slave', '--', dst);
}

export function writeCanary(fx: Fixture, path: string, content = `canary ${path}\n`): void {
  writeFileSync(path, content);
  fx.canaries.set(path, content);
}

export function canariesIntact(fx: Fixture): string[] {
  const bad: string[] = [];
  for (const [p, c] of fx.canaries) {
    try {
      if (readFileSync(p, 'utf8') !== c) bad.push(p);
    } catch {
      bad.push(p);
    }
  }
  return bad;
}

/** Host /usr (and bin/lib links or binds) read-only inside `dir`, so `chroot dir sleep` works. */
export async function addUserland(dir: string): Promise<void> {
  await bindHost('/usr', `${dir}/usr`, { ro: true });
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${top}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) symlinkSync(readlinkSync(host), `${dir}/${top}`);
    else await bindHost(host, `${dir}/${top}`, { ro: true });
  }
}

/** The mounts a debootstrap-based build makes: proc, sysfs, /dev bound, devpts, tmpfs /run and /dev/shm. */
export async function debootstrapMounts(
  dir: string,
  opts: { userland?: boolean; rbindSys?: boolean } = {},
): Promise<void> {
  for (const d of ['proc', 'sys', 'dev', 'run', 'tmp', 'etc', 'mnt', 'var/cache/apt'])
    mkdirSync(`${dir}/${d}`, { recursive: true });
  if (opts.userland !== false) await addUserland(dir);
  await mount('-t', 'proc', 'proc', `${dir}/proc`);
  if (opts.rbindSys) await bindHost('/sys', `${dir}/sys`, { recursive: true });
  else await mount('-t', 'sysfs', 'sysfs', `${dir}/sys`);
  await bindHost('/dev', `${dir}/dev`);
  await mount('-t', 'devpts', '-o', 'newinstance,ptmxmode=0666', 'devpts', `${dir}/dev/pts`);
  await mount('-t', 'tmpfs', '-o', 'size=4m', 'shm', `${dir}/dev/shm`);
  await mount('-t', 'tmpfs', '-o', 'size=4m', 'run', `${dir}/run`);
}

/** Starts a long-lived process in its own process group; cleanup kills the group. */
export function startProcess(fx: Fixture, cmd: string, args: string[], opts: { cwd?: string } = {}): ChildProcess {
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore', cwd: opts.cwd });
  child.on('error', () => undefined);
  fx.children.push(child);
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until `/proc/PID/root` shows the process inside `dir` (chroot has exec'd). */
export async function waitRooted(child: ChildProcess, dir: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (child.pid !== undefined && isAtOrUnder(readlinkSync(`/proc/${child.pid}/root`), dir)) {
        const cmd = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
        if (!cmd.startsWith('chroot')) return;
      }
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`process ${child.pid} never entered ${dir}`);
}

function waitExit(c: ChildProcess, ms: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Makes a file-system image; returns its path. */
export async function makeImage(path: string, fs: 'ext2' | 'ext4', sizeMb = 8): Promise<string> {
  await runOk('truncate', ['-s', `${sizeMb}M`, path]);
  await runOk(`mkfs.${fs}`, ['-q', '-F', path]);
  return path;
}

export async function cleanupFixture(fx: Fixture): Promise<void> {
  interrupted.get(fx.scratch)?.();
  interrupted.delete(fx.scratch);
  for (const c of fx.children) {
    if (isRunning(c) && c.pid !== undefined) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  await Promise.all(fx.children.map((c) => waitExit(c, 2000)));
  await unmountEverythingUnder(fx.scratch);
  for (const l of await listLoopDevices()) {
    if (l.backingFile && isAtOrUnder(l.backingFile, fx.scratch)) await run('losetup', ['--detach', l.name]);
  }
  const left = mountsUnder(readMountsSync(), fx.scratch);
  if (left.length > 0)
    throw new Error(`cleanup left mounts, scratch kept: ${left.map((m) => m.mountPoint).join(', ')}`);
  if (fx.scratch.startsWith('/tmp/isoswarm-test-')) rmSync(fx.scratch, { recursive: true, force: true });
}

/** Test cleanup only: private first (no propagation to peers), leaves first, `umount -l` only after failure. */
async function unmountEverythingUnder(dir: string): Promise<void> {
  for (let pass = 0; pass < 40; pass++) {
    const under = mountsUnder(readMountsSync(), dir);
    if (under.length === 0) return;
    for (const m of under) {
      if (m.optionalFields.some((f) => f.startsWith('shared:')))
        await run('mount', ['--make-private', '--no-canonicalize', '--', m.mountPoint]);
    }
    const ids = new Set(under.map((m) => m.id));
    const leaves = under.filter((m) => !under.some((c) => c.parentId === m.id && ids.has(c.id))).reverse();
    let progress = false;
    for (const m of leaves) {
      if ((await run('umount', ['--no-canonicalize', '--', m.mountPoint])).exitCode === 0) progress = true;
    }
    if (!progress) {
      for (const m of leaves) await run('umount', ['--lazy', '--no-canonicalize', '--', m.mountPoint]);
    }
  }
}

/** Runs `fn` on a fresh fixture; always cleans up; then checks the host is as it was. */
export async function withFixture(name: string, fn: (fx: Fixture) => Promise<void>): Promise<void> {
  const before = hostSnapshot();
  const fx = await createFixture(name);
  try {
    await fn(fx);
  } finally {
    await cleanupFixture(fx);
  }
  assertHostUnchanged(before);
}

/** A process OUTSIDE any chroot that writes down every TERM/INT/HUP it receives (and survives them). */
export function startSentinel(fx: Fixture, opts: { cwd?: string } = {}): { child: ChildProcess; signalLog: string } {
  const signalLog = `${fx.scratch}/signals-${fx.children.length}.log`;
  writeFileSync(signalLog, '');
  const script = `trap 'echo TERM >> "$0"' TERM; trap 'echo INT >> "$0"' INT; trap 'echo HUP >> "$0"' HUP; while :; do sleep 1000 & wait $!; done`;
  return { child: startProcess(fx, 'sh', ['-c', script, signalLog], opts), signalLog };
}
