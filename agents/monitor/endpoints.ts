// The Monitor's endpoints: a snapshot now, and per-run watching for `isoswarm run` and its report.
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { BusError } from '../../src/schemas/bus-error.js';
import { samplesInput, snapshotInput, watchInput } from '../../src/schemas/agents/monitor.js';
import type { Watcher } from './watcher.js';

export function monitorEndpoints(w: Watcher): EndpointMap {
  return {
    snapshot: endpoint({
      input: snapshotInput,
      description: 'one sample now, and the threshold state',
      handler: async () => ({ sample: await w.tick(), thresholds: w.thresholds.snapshot() }),
    }),
    watch: endpoint({
      input: watchInput,
      description: 'keep samples for a run and meter its process tree',
      handler: ({ runId, pid, disks }) => {
        const r = w.watch(runId, pid, disks);
        return { runId: r.runId, startedAt: r.startedAt };
      },
    }),
    samples: endpoint({
      input: samplesInput,
      description: 'the samples and threshold events of a watched run (stop: end the watch)',
      handler: ({ runId, stop }) => {
        const r = stop ? w.unwatch(runId) : w.runs.get(runId);
        if (!r) throw new BusError('not-found', `run ${runId} is not watched`);
        return {
          runId,
          pid: r.pid,
          startedAt: r.startedAt,
          samples: r.buffer.toArray(),
          summary: r.buffer.summary(),
          events: r.events,
        };
      },
    }),
  };
}
