// The build phase: registered with the swarm, started under its guardian, streamed, watched.
import { join } from 'node:path';
import { refOf } from '../host/proc/process-identity.js';
import type { BuildExit } from './build-process.js';
import { runGuardedBuild } from './guarded-build.js';
import { leaseTimes } from './lease.js';
import { createRunDir, writeDurable, type RegisteredRun } from './registry.js';
import { writeBuilderState } from './builder-state.js';
import { existingAncestor, type RunState } from './run-state.js';

/** Writes (or rewrites) the run's run.json: what ran, where, by whom, the record so far. */
export function writeRegistration(s: RunState, dir: string): { leaseMs: number; graceMs: number } {
  const { leaseMs, graceMs } = leaseTimes();
  const reg: RegisteredRun = {
    runId: s.runId,
    name: s.opts.name,
    chroot: s.opts.chroot,
    keepOnFailure: s.opts.keepOnFailure,
    keep: s.opts.keep ?? null,
    aptCache: s.opts.aptCache,
    systemApplied: s.systemApplied,
    cli: refOf(process.pid)!,
    leaseMs,
    graceMs,
    record: s.record,
  };
  writeDurable(join(dir, 'run.json'), reg);
  return { leaseMs, graceMs };
}

export async function buildPhase(s: RunState): Promise<BuildExit | null> {
  let exit: BuildExit | null = null;
  try {
    await s.phases.run(
      'build',
      async () => {
        // The run is registered before the build starts (earlier when it mounted a tmpfs of its own):
        // from here on the swarm can finish it.
        const dir = s.dir ?? createRunDir(s.opts.stateRoot, s.runId);
        s.dir = dir;
        const { leaseMs, graceMs } = writeRegistration(s, dir);
        // `phase NAME` calls in the build write their stage marks here.
        s.env.ISOSWARM_RUN_DIR = dir;
        if (s.builderState) writeBuilderState(dir, s.builderState);
        await s.soft('run registration', () => s.route('run-register', { runId: s.runId }));
        const e = await runGuardedBuild({
          command: s.opts.command,
          env: s.env,
          isolate: s.opts.isolate,
          stdoutToStderr: s.opts.json,
          // The chroot's file system is watched for the run (a build filling it raises a disk alert).
          onStart: (pid) => {
            // The guardian took its build lock before it started the build: the CLI's own can go.
            void s.chrootLock?.release();
            void s.soft('monitor watch', () =>
              s.route('monitor-watch', {
                runId: s.runId,
                pid,
                disks: s.opts.chroot ? [existingAncestor(s.opts.chroot)] : [],
              }),
            );
          },
          dir,
          leaseMs,
          graceMs,
        });
        exit = e;
        if (e.exitCode !== 0) s.phases.mark(e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`);
      },
      s.opts.say,
    );
  } catch (e) {
    s.notes.push((e as Error).message);
  }
  return exit;
}
