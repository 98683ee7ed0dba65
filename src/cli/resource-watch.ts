// --monitor on a long command (tune, cleanup): the Monitor agent's sample, one line per interval on
// stderr while the work runs, and what was seen (samples, peaks, least free disk) for the reply.
import type { NatsConnection } from '../bus/connect.js';
import type { CliContext } from './context.js';
import { alertsOf, resourceLine } from './resource-line.js';

export interface WatchSummary {
  samples: number;
  peakCpuPct: number;
  peakMemPct: number;
  peakLoad1: number;
  /** Least free bytes seen on any watched disk. */
  minFreeBytes: number | null;
  /** Why sampling stopped early (the Monitor could not be reached). */
  error?: string;
}

export function watchResources(
  ctx: CliContext,
  nc: NatsConnection,
  write: (line: string) => void,
  intervalMs = 1000,
): { stop: () => Promise<WatchSummary> } {
  const sum: WatchSummary = { samples: 0, peakCpuPct: 0, peakMemPct: 0, peakLoad1: 0, minFreeBytes: null };
  let stopped = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    const c = await import('./context.js');
    while (!stopped) {
      try {
        const r = await c.callRoute(ctx, nc, 'monitor-snapshot', {});
        const s = r.sample;
        sum.samples++;
        sum.peakCpuPct = Math.max(sum.peakCpuPct, s.cpuPct);
        sum.peakMemPct = Math.max(sum.peakMemPct, s.memPct);
        sum.peakLoad1 = Math.max(sum.peakLoad1, s.load1);
        for (const d of s.disks) sum.minFreeBytes = Math.min(sum.minFreeBytes ?? Infinity, d.freeBytes);
        write(`isoswarm monitor: ${resourceLine(s, alertsOf(r.thresholds))}`);
      } catch (e) {
        sum.error = `the Monitor could not be reached: ${(e as Error).message}`;
        write(`isoswarm monitor: ${sum.error}`);
        return;
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, intervalMs);
        wake = () => {
          clearTimeout(t);
          res();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      (wake as (() => void) | null)?.();
      await loop;
      return sum;
    },
  };
}
