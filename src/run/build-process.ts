// Runs the build command: output streamed, signals forwarded, optionally inside a private mount
// namespace with slave propagation (its mounts vanish with it and never reach the host).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface BuildExit {
  pid: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The build's exit code, or 128 + the signal number, as a shell reports it. */
  exitCode: number;
}

export interface BuildOptions {
  command: string[];
  env: NodeJS.ProcessEnv;
  isolate: boolean;
  /** Send the build's stdout to our stderr (when our stdout carries JSON). */
  stdoutToStderr?: boolean;
  onStart?: (pid: number) => void;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export function runBuild(opts: BuildOptions): Promise<BuildExit> {
  const [file, ...args] = opts.isolate
    ? ['unshare', '--mount', '--propagation', 'slave', '--', ...opts.command]
    : opts.command;
  // On a terminal the build stays in our process group, so Ctrl-C reaches all of it directly (and it
  // may still read the terminal). Without one (CI, a service) it gets a group of its own, and a
  // signal sent to isoswarm is passed to that whole group — a shell waiting on a child would
  // otherwise hold the signal until the child ends.
  const ownGroup = !process.stdin.isTTY;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { env: opts.env, detached: ownGroup, stdio: ['inherit', opts.stdoutToStderr ? 2 : 'inherit', 'inherit'] });
    const handlers = FORWARDED.map((sig) => {
      const h = () => {
        if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
        try {
          if (ownGroup) process.kill(-child.pid, sig);
          else child.kill(sig);
        } catch {
          /* already gone */
        }
      };
      process.on(sig, h);
      return [sig, h] as const;
    });
    const cleanup = () => handlers.forEach(([sig, h]) => process.off(sig, h));
    child.once('error', (e) => {
      cleanup();
      reject(new Error(`cannot start ${opts.command[0]}: ${e.message}`));
    });
    child.once('spawn', () => child.pid && opts.onStart?.(child.pid));
    child.once('exit', (code, signal) => {
      cleanup();
      const signum = signal ? (constants.signals[signal] ?? 0) : 0;
      resolve({ pid: child.pid ?? null, code, signal, exitCode: code ?? 128 + signum });
    });
  });
}
