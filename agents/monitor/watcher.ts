// The Monitor's loop: sample at the configured interval, publish metrics (core NATS, disposable),
// raise threshold events durably (JetStream), and keep each watched run's samples, bounded.
import { publishDurable } from '../../src/bus/jetstream.js';
import { encodeJson } from '../../src/bus/codec.js';
import { eventSubject, metricsSubject } from '../../src/bus/subjects.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { createSampleBuffer, type DownsamplingBuffer } from './ring.js';
import { Sampler, type Sample } from './sampler.js';
import { readingsOf, Thresholds, type ThresholdEvent } from './thresholds.js';

export interface WatchedRun {
  runId: string;
  pid: number | null;
  startedAt: number;
  /** File systems watched for this run only. */
  disks: string[];
  buffer: DownsamplingBuffer<Sample>;
  events: ThresholdEvent[];
}

export class Watcher {
  readonly sampler: Sampler;
  readonly thresholds: Thresholds;
  readonly runs = new Map<string, WatchedRun>();
  latest: Sample | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** The host is set before the agent's endpoints are built, and fixed for the process's life. */
  private readonly subject: string;

  constructor(private readonly ctx: AgentContext) {
    const m = ctx.config.monitor;
    this.subject = metricsSubject(ctx.prefix);
    this.sampler = new Sampler({ diskPaths: m.paths, tempDir: m.tempDir });
    this.thresholds = new Thresholds({
      ...m.thresholds,
      hysteresisPct: m.hysteresisPct,
      minAlertIntervalMs: m.minAlertIntervalMs,
    });
  }

  start(): void {
    if (!this.ctx.config.performanceMonitoring) {
      this.ctx.log.info('PERFORMANCE_MONITORING is off: sampling only on request');
      return;
    }
    this.timer = setInterval(() => void this.tick(), this.ctx.config.monitor.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sampler.close();
  }

  /** One round: sample, publish, evaluate. Never overlaps itself. */
  async tick(): Promise<Sample> {
    if (this.ticking && this.latest) return this.latest;
    this.ticking = true;
    try {
      const s = this.sampler.sample();
      this.latest = s;
      for (const r of this.runs.values()) r.buffer.push(s);
      const { nc, prefix } = this.ctx;
      if (!nc.isClosed()) nc.publish(this.subject, encodeJson(s));
      for (const ev of this.thresholds.update(readingsOf(s), s.at)) {
        for (const r of this.runs.values()) r.events.push(ev);
        this.ctx.log.warn({ ev }, `threshold ${ev.kind}: ${ev.metric} ${ev.subject}`);
        await publishDurable(nc, eventSubject(prefix, 'monitor', ev.kind, ev.metric), ev).catch((e: Error) =>
          this.ctx.log.error({ err: e.message }, 'could not store a threshold event; it will be raised again'),
        );
      }
      return s;
    } finally {
      this.ticking = false;
    }
  }

  watch(runId: string, pid: number | null, disks: string[] = []): WatchedRun {
    if (this.runs.has(runId)) this.unwatch(runId);
    const added = disks.filter((d) => this.sampler.addDisk(d));
    const run: WatchedRun = {
      runId,
      pid,
      startedAt: Date.now(),
      disks: added,
      buffer: createSampleBuffer(),
      events: [],
    };
    this.runs.set(runId, run);
    // One build tree at a time is metered: the newest run's.
    this.sampler.setBuildPid(pid);
    return run;
  }

  unwatch(runId: string): WatchedRun | undefined {
    const run = this.runs.get(runId);
    this.runs.delete(runId);
    for (const d of run?.disks ?? []) this.sampler.removeDisk(d);
    if (run?.pid !== null && run) this.sampler.setBuildPid(null);
    return run;
  }
}
