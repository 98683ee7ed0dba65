// Runs the build under its per-run guardian (see guardian-main.ts): the guardian, not this CLI, is the
// build's parent, so a CLI killed with SIGKILL leaves a guardian that ends the build and a registry
// entry from which a coordinator finishes post-task. Here: start the guardian detached in its own
// session, keep the lease alive, forward signals, and show the build's output as it comes.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { distPath } from '../package-root.js';
import type { BuildExit, BuildOptions } from './build-process.js';
import { tailFiles } from './log-tail.js';
import { readJson, type ExitFile } from './registry.js';

export const guardianEntry = distPath('src', 'run', 'guardian-main.js');

export interface GuardedBuildOptions extends BuildOptions {
  dir: string;
  leaseMs: number;
  graceMs: number;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export function runGuardedBuild(opts: GuardedBuildOptions): Promise<BuildExit> {
  const command = opts.isolate ? ['unshare', '--mount', '--propagation', 'slave', '--', ...opts.command] : opts.command;
  const log = openSync(join(opts.dir, 'guardian.log'), 'a', 0o600);
  const g = spawn(
    process.execPath,
    [guardianEntry, opts.dir, String(opts.leaseMs), String(opts.graceMs), '--', ...command],
    {
      env: opts.env,
      detached: true,
      stdio: ['inherit', log, log, 'ipc'],
    },
  );
  closeSync(log);
  const tail = tailFiles([
    { file: join(opts.dir, 'out.log'), to: opts.stdoutToStderr ? process.stderr : process.stdout },
    { file: join(opts.dir, 'err.log'), to: process.stderr },
  ]);
  return new Promise((resolve, reject) => {
    let buildPid: number | null = null;
    let settled = false;
    const beat = setInterval(
      () => g.connected && g.send({ t: 'beat' }, () => undefined),
      Math.max(50, Math.floor(opts.leaseMs / 4)),
    );
    const handlers = FORWARDED.map((sig) => {
      const h = () => g.connected && g.send({ t: 'signal', sig }, () => undefined);
      process.on(sig, h);
      return [sig, h] as const;
    });
    const done = (e: Error | null, r?: BuildExit) => {
      if (settled) return;
      settled = true;
      clearInterval(beat);
      handlers.forEach(([sig, h]) => process.off(sig, h));
      if (g.connected) g.disconnect();
      void tail.stop().then(() => (e ? reject(e) : resolve(r!)));
    };
    g.once('error', (e) => done(new Error(`cannot start the run's guardian: ${e.message}`)));
    g.on('message', (m: { t: string; pid?: number; exitCode?: number; signal?: NodeJS.Signals | null }) => {
      if (m.t === 'started' && m.pid) {
        buildPid = m.pid;
        opts.onStart?.(m.pid);
      } else if (m.t === 'exit')
        done(null, {
          pid: buildPid,
          code: m.signal ? null : (m.exitCode ?? null),
          signal: m.signal ?? null,
          exitCode: m.exitCode ?? 127,
        });
    });
    g.once('exit', (code, signal) => {
      // Normally the exit message came first; otherwise exit.json tells, else the guardian died.
      const ex = readJson<ExitFile>(join(opts.dir, 'exit.json'));
      if (ex)
        done(null, {
          pid: buildPid,
          code: ex.signal ? null : ex.exitCode,
          signal: (ex.signal as NodeJS.Signals | null) ?? null,
          exitCode: ex.exitCode,
        });
      else
        done(
          new Error(
            `the run's guardian ended (${signal ?? `exit ${code}`}) before the build did; see ${join(opts.dir, 'guardian.log')}`,
          ),
        );
    });
  });
}
