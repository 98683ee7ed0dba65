// A swarm that a CLI command (`run`, `cleanup`, `tune`, ...) started for itself (no swarm was
// running) is stopped by that CLI when the command ends. When the CLI was killed instead (SIGKILL
// runs no cleanup), the swarm finishes a lost run if there is one (run-watch.ts) and then nobody
// would ever stop it: this watch stops it once the CLI that started it is gone, no run in the
// registry is still active and no lost run is being finished. Another `run` that joined the swarm
// meanwhile keeps it alive until its run is done too.
import { readRunFile, removeRunFile } from '../runtime/run-file.js';
import { stopProcesses } from '../runtime/swarm-processes.js';
import { isAlive, type ProcessRef } from '../host/proc/process-identity.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { Logger } from '../log/logger.js';
import { listEntries } from '../run/registry.js';

/** The environment variable `up` sets for a swarm started for one command: "<pid>:<start time>" of that CLI. */
export const TEMPORARY_FOR_CLI_ENV = 'ISOSWARM_TEMPORARY_FOR_CLI';

export function starterFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessRef | null {
  const m = /^(\d+):(\d+)$/.exec(env[TEMPORARY_FOR_CLI_ENV] ?? '');
  return m ? { pid: Number(m[1]), startTime: Number(m[2]) } : null;
}

/**
 * Runs in the registry not yet finished (done.json absent), whoever runs or finishes them; with
 * `liveRunnerOnly`, only those whose CLI still runs (a swarm that takes no lost run over).
 */
export function activeRuns(stateRoot: string, liveRunnerOnly = false): string[] {
  return listEntries(stateRoot)
    .filter((e) => e.run && !e.done && (!liveRunnerOnly || isAlive(e.run.cli)))
    .map((e) => e.runId);
}

export interface TemporaryWatch {
  stop(): void;
}

/**
 * Calls `onIdle` once, when the starter is gone and the swarm has had nothing to do on two checks
 * in a row (a run registering between two checks keeps it up).
 */
export function watchTemporarySwarm(opts: {
  starter: ProcessRef;
  paths: StatePaths;
  log: Logger;
  /** A lost run is being finished right now. */
  busy: () => boolean;
  /** This swarm finishes no lost run (a dry run's): a lost run in the registry does not keep it up. */
  takesNoRunsOver?: boolean;
  onIdle: (why: string) => void;
  intervalMs?: number;
}): TemporaryWatch {
  let idleChecks = 0;
  const timer = setInterval(() => {
    let active: string[];
    try {
      active = activeRuns(opts.paths.root, opts.takesNoRunsOver);
    } catch {
      active = ['(the run registry could not be read)'];
    }
    const idle = !isAlive(opts.starter) && !opts.busy() && active.length === 0;
    idleChecks = idle ? idleChecks + 1 : 0;
    if (idleChecks < 2) return;
    clearInterval(timer);
    opts.onIdle(
      `temporary swarm: the isoswarm command (pid ${opts.starter.pid}) that started it is gone and no run is left`,
    );
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * After the coordinator has stopped its agents: the private nats-server `up` started for this swarm
 * is stopped too and run.json removed, as `isoswarm down` would (only when run.json names this
 * coordinator, so a newer swarm in the same state dir is never touched).
 */
export async function stopOwnServer(paths: StatePaths, log: Logger): Promise<void> {
  const run = readRunFile(paths.runFile);
  if (!run || run.coordinator?.pid !== process.pid) return;
  if (run.embedded && run.nats && isAlive(run.nats)) {
    await stopProcesses([run.nats], 5000);
    log.info({ pid: run.nats.pid }, 'private nats-server of the temporary swarm stopped');
  }
  removeRunFile(paths.runFile);
}
