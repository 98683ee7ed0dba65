// The coordinator's side of run ownership: runs register here; a watch over the durable run registry
// finds runs whose runner was lost (CLI killed, its lease lapsed) and finishes them. At start-up the
// same watch adopts runs that were lost while no coordinator ran.
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint } from '../bus/request.js';
import { endpoint, type EndpointMap } from '../bus/service.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { Logger } from '../log/logger.js';
import { finishLostRun, needsTakeover } from '../run/lost-run.js';
import type { Call } from '../run/post-task.js';
import { listEntries, readEntry, stateOf } from '../run/registry.js';
import { isValidRunId } from '../report/run-store.js';
import { runRegisterInput, runsInput } from '../schemas/agents/coordinator-runs-guard.js';
import { BusError } from '../schemas/bus-error.js';

export function runEndpoints(paths: StatePaths): EndpointMap {
  return {
    'run-register': endpoint({
      input: runRegisterInput,
      handler: ({ runId }) => {
        if (!isValidRunId(runId)) throw new BusError('bad-request', `"${runId}" is not a valid run id`);
        const e = readEntry(paths.root, runId);
        if (!e.run) throw new BusError('not-found', `run ${runId} is not in the run registry`);
        return { runId, leaseMs: e.run.leaseMs, state: stateOf(e) };
      },
    }),
    runs: endpoint({
      input: runsInput,
      handler: () => ({
        runs: listEntries(paths.root).map((e) => ({
          runId: e.runId,
          state: stateOf(e),
          chroot: e.run?.chroot ?? null,
          exitCode: e.done?.exitCode ?? e.exit?.exitCode ?? null,
        })),
      }),
    }),
  };
}

export interface RunWatch {
  /** One pass now (also what the timer runs). */
  scan(): Promise<void>;
  /** A lost run is being finished. */
  busy(): boolean;
  stop(): Promise<void>;
}

export function startRunWatch(
  nc: NatsConnection,
  prefix: string,
  paths: StatePaths,
  log: Logger,
  intervalMs = 1000,
): RunWatch {
  const call: Call = (ep, payload, timeoutMs = 60_000) =>
    requestEndpoint(nc, prefix, 'coordinator', ep, payload, timeoutMs);
  const busy = new Set<string>();
  // A corrupted registry file is reported once, not at every scan.
  const reported = new Set<string>();
  const work = new Set<Promise<unknown>>();
  let stopped = false;
  const scan = async (): Promise<void> => {
    if (stopped) return;
    let entries;
    try {
      entries = listEntries(paths.root);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'the run registry could not be read');
      return;
    }
    for (const e of entries) {
      for (const p of e.problems) {
        if (reported.has(p)) continue;
        reported.add(p);
        log.warn({ runId: e.runId }, `${p}: this run is left alone until the file is repaired or removed`);
      }
      if (busy.has(e.runId) || !needsTakeover(e)) continue;
      busy.add(e.runId);
      const job = finishLostRun(paths, e.runId, call, log)
        .then(
          (r) =>
            r &&
            log.info(
              { runId: r.runId, report: r.report, exitCode: r.exitCode },
              'run finished by the swarm: runner lost',
            ),
        )
        .catch((err: Error) => log.error({ runId: e.runId, err: err.message }, 'finishing a lost run failed'))
        .finally(() => {
          busy.delete(e.runId);
          work.delete(job);
        });
      work.add(job);
    }
  };
  const timer = setInterval(() => void scan(), intervalMs);
  timer.unref();
  return {
    scan,
    busy: () => work.size > 0,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...work]);
    },
  };
}
