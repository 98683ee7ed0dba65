// The per-run guardian: a tiny process in a session of its own, started by `isoswarm run`, that is
// the build's parent. It holds the runner's lease (heartbeats over the IPC channel from the CLI):
// when the CLI dies (EOF on the channel) or stops beating for the lease time, the guardian marks the
// run lost and ends the build's process group (TERM, grace, KILL) — nothing about that depends on the
// CLI or the coordinator being alive. It writes how the build ended to the run registry and exits;
// post-task is then done by the CLI if it lives, else by a coordinator (now or when one next starts).
// Usage: guardian-main.js RUN_DIR LEASE_MS GRACE_MS -- COMMAND ARGS...
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { refOf } from '../host/proc/process-identity.js';
import { endGroup, groupMembers } from './process-group.js';
import { writeDurable, type ExitFile, type GuardianFile, type LostFile } from './registry.js';
import { guardianBuildLock } from './guardian-lock.js';

type FromCli = { t: 'beat' } | { t: 'signal'; sig: NodeJS.Signals };

async function main(): Promise<void> {
  const [dir, leaseArg, graceArg, sep, ...command] = process.argv.slice(2);
  if (!dir || sep !== '--' || !command.length) {
    process.stderr.write('usage: guardian-main RUN_DIR LEASE_MS GRACE_MS -- COMMAND...\n');
    process.exit(2);
  }
  const leaseMs = Number(leaseArg);
  const graceMs = Number(graceArg);
  const out = openSync(join(dir, 'out.log'), 'a', 0o600);
  const err = openSync(join(dir, 'err.log'), 'a', 0o600);
  const [file, ...args] = command;
  const send = (m: unknown) => {
    if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
  };
  // The build lock on the chroot is taken before the build starts, and let go before its exit is told.
  const held = await guardianBuildLock(process.env);
  if (!held.ok) {
    const refused: ExitFile = { exitCode: 127, signal: null, at: new Date().toISOString() };
    writeSync(err, `isoswarm: the build was not started: ${held.reason}\n`);
    writeDurable(join(dir, 'exit.json'), refused);
    send({ t: 'exit', ...refused });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50);
    return;
  }
  const child = spawn(file!, args, { detached: true, stdio: ['inherit', out, err], env: process.env });
  closeSync(out);
  closeSync(err);
  let lastBeat = Date.now();
  let lapsed: Promise<unknown> | null = null;
  let exit: ExitFile | null = null;
  const pgid = (): number | null => child.pid ?? null;

  const finish = async () => {
    if (!exit) return;
    if (lapsed) await lapsed;
    await held.lock?.release();
    writeDurable(join(dir, 'exit.json'), exit);
    send({ t: 'exit', ...exit });
    clearInterval(timer);
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50);
  };
  const lapse = (reason: string) => {
    if (lapsed || exit) return;
    const lost: LostFile = { at: new Date().toISOString(), reason };
    writeDurable(join(dir, 'lost.json'), lost);
    const g = pgid();
    lapsed = g ? endGroup(g, graceMs).then((r) => writeDurable(join(dir, 'group-end.json'), r)) : Promise.resolve();
  };

  child.once('spawn', () => {
    const build = child.pid ? refOf(child.pid) : null;
    const me = refOf(process.pid);
    if (build && me)
      writeDurable(join(dir, 'guardian.json'), { guardian: me, build, pgid: build.pid } satisfies GuardianFile);
    send({ t: 'started', pid: child.pid });
  });
  child.once('error', (e) => {
    exit = { exitCode: 127, signal: null, at: new Date().toISOString() };
    process.stderr.write(`cannot start ${file}: ${e.message}\n`);
    void finish();
  });
  child.once('exit', (code, signal) => {
    const signum = signal ? (constants.signals[signal] ?? 0) : 0;
    exit = { exitCode: code ?? 128 + signum, signal, at: new Date().toISOString() };
    // Members of the group left behind by a lapsed run go too; on a normal exit the CLI's teardown decides.
    if (lapsed) {
      const g = pgid();
      if (g && groupMembers(g).length) lapsed = lapsed.then(() => endGroup(g, graceMs));
    }
    void finish();
  });
  process.on('message', (m: FromCli) => {
    if (m.t === 'beat') lastBeat = Date.now();
    else if (m.t === 'signal' && child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, m.sig);
      } catch {
        /* already gone */
      }
    }
  });
  process.on('disconnect', () => lapse('the runner (isoswarm run) is gone: its channel closed'));
  const timer = setInterval(
    () => {
      if (Date.now() - lastBeat > leaseMs) lapse(`the runner (isoswarm run) sent no heartbeat for ${leaseMs} ms`);
    },
    Math.max(50, Math.min(1000, leaseMs / 4)),
  );
  // The guardian outlives terminal hang-ups and stray signals of the CLI's session.
  for (const s of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(s, () => undefined);
}

void main();
