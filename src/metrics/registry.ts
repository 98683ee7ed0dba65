// Over 250 lines on purpose: the one prom-client owner: every metric's name, help and unit in one place.
// The one owner of prom-client: the swarm's metrics in the Prometheus text exposition format.
// Base units (seconds, bytes, ratios 0-1), `_total` counters, and only low-cardinality labels:
// service names, hook kinds, phase names, outcomes and the configured watched paths; never run ids.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from '../version.js';

export interface ServiceReading {
  name: string;
  up: boolean;
  restarts: number;
  requests: number;
  errors: number;
  startedAtMs: number | null;
}

export interface MonitorReading {
  at: number;
  cpuPct: number;
  memPct: number;
  memUsedBytes: number;
  load1: number;
  disks: { path: string; usedPct: number; freeBytes: number }[];
  temp: { bytes: number; files: number } | null;
  build?: { procs: number; cpuPct: number; rssBytes: number; readBytes: number; writeBytes: number; alive: boolean };
}

/** What a finished run's record tells the metrics (fields read defensively: records are loose). */
export interface FinishedRun {
  durationSeconds: number | null;
  succeeded: boolean;
  phases: { name: string; seconds: number | null }[];
  teardown: { status: string; seconds: number } | null;
  cache: { cache: string; hits: number; misses: number; bytesSaved: number; bytesDownloaded: number } | null;
  tuning: {
    predicted: { seconds: number; bytes: number } | null;
    measured: { seconds: number; bytes: number } | null;
  } | null;
}

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600, 7200];

export class SwarmMetrics {
  readonly registry = new Registry();
  private readonly services = new Map<string, ServiceReading>();

  private readonly agentUp = this.gauge('isoswarm_agent_up', 'Whether the service answers discovery (1) or not (0)', [
    'service',
  ]);
  private readonly agentStart = this.gauge('isoswarm_agent_start_time_seconds', 'When the service started, Unix time', [
    'service',
  ]);
  // Mirrors of counts the services keep themselves: set from their absolute values at each scrape.
  private readonly agentRestarts = this.counter(
    'isoswarm_agent_restarts_total',
    'Restarts of the agent by the supervisor',
    ['service'],
  );
  private readonly agentRequests = this.counter(
    'isoswarm_agent_requests_total',
    'Requests served by the service instance ($SRV.STATS)',
    ['service'],
  );
  private readonly agentErrors = this.counter(
    'isoswarm_agent_errors_total',
    'Requests the service instance answered with an error',
    ['service'],
  );
  private readonly agentExits = this.counter(
    'isoswarm_agent_exits_total',
    'Agent process exits seen by the supervisor',
    ['service'],
  );
  private readonly hookEvents = this.counter('isoswarm_hook_events_total', 'Hook events stored in the durable stream', [
    'hook',
  ]);
  private readonly monitorEvents = this.counter('isoswarm_monitor_threshold_events_total', 'Monitor threshold events', [
    'metric',
    'kind',
  ]);
  private readonly runsActive = this.gauge('isoswarm_runs_active', 'Runs in progress, by current phase', ['phase']);
  private readonly runs = this.counter('isoswarm_runs_total', 'Finished runs by outcome', ['outcome']);
  private readonly runDuration = this.histogram(
    'isoswarm_run_duration_seconds',
    'Wall time of finished runs',
    [],
    DURATION_BUCKETS,
  );
  private readonly phaseDuration = this.histogram(
    'isoswarm_run_phase_duration_seconds',
    'Wall time of each phase of finished runs',
    ['phase'],
    DURATION_BUCKETS,
  );
  private readonly teardowns = this.counter('isoswarm_teardowns_total', 'Chroot teardowns by outcome', ['outcome']);
  private readonly teardownDuration = this.histogram(
    'isoswarm_teardown_duration_seconds',
    'Wall time of chroot teardowns',
    [],
    [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
  );
  private readonly cacheHits = this.counter('isoswarm_cache_hits_total', 'Cache files a build reused', ['cache']);
  private readonly cacheMisses = this.counter('isoswarm_cache_misses_total', 'Cache files a build had to fetch', [
    'cache',
  ]);
  private readonly cacheSaved = this.counter(
    'isoswarm_cache_saved_bytes_total',
    'Bytes a build did not download thanks to a cache',
    ['cache'],
  );
  private readonly cacheFetched = this.counter(
    'isoswarm_cache_downloaded_bytes_total',
    'Bytes a build downloaded into a cache',
    ['cache'],
  );
  private readonly tunerSeconds = this.gauge(
    'isoswarm_tuner_squashfs_seconds',
    "Last run: the tuner's predicted and the measured mksquashfs time",
    ['source'],
  );
  private readonly tunerBytes = this.gauge(
    'isoswarm_tuner_squashfs_bytes',
    "Last run: the tuner's predicted and the measured image size",
    ['source'],
  );
  private readonly cpu = this.gauge(
    'isoswarm_host_cpu_busy_ratio',
    "Busy share of all CPUs over the Monitor's last interval (0-1)",
  );
  private readonly memRatio = this.gauge('isoswarm_host_memory_used_ratio', 'Used share of memory (0-1)');
  private readonly memBytes = this.gauge('isoswarm_host_memory_used_bytes', 'Used memory');
  private readonly load1 = this.gauge('isoswarm_host_load1', 'One-minute load average');
  private readonly diskRatio = this.gauge('isoswarm_disk_used_ratio', 'Used share of a watched file system (0-1)', [
    'path',
  ]);
  private readonly diskFree = this.gauge(
    'isoswarm_disk_free_bytes',
    'Free bytes of a watched file system (for unprivileged users)',
    ['path'],
  );
  private readonly tempBytes = this.gauge('isoswarm_temp_bytes', 'Size of the watched temp directory');
  private readonly tempFiles = this.gauge('isoswarm_temp_files', 'Files in the watched temp directory');
  private readonly buildProcs = this.gauge('isoswarm_build_processes', "Processes in the watched build's tree");
  private readonly buildCpu = this.gauge(
    'isoswarm_build_cpu_ratio',
    "CPU of the build's tree in cores (1 = one core busy)",
  );
  private readonly buildRss = this.gauge('isoswarm_build_resident_bytes', "Resident memory of the build's tree");
  private readonly buildIo = this.gauge(
    'isoswarm_build_io_bytes',
    "Storage I/O of the watched build's tree since it started",
    ['direction'],
  );
  private readonly sampleTime = this.gauge(
    'isoswarm_monitor_last_sample_timestamp_seconds',
    "When the Monitor's last sample was taken, Unix time",
  );

  constructor() {
    const info = this.gauge('isoswarm_build_info', 'isoswarm version and runtime; always 1', ['version', 'nodejs']);
    info.set({ version: VERSION, nodejs: process.versions.node }, 1);
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** The latest discovery round: every known service, up or not. */
  setServices(rows: ServiceReading[]): void {
    for (const r of rows) this.services.set(r.name, r);
    for (const [name] of this.services) if (!rows.some((r) => r.name === name)) this.services.get(name)!.up = false;
    this.agentUp.reset();
    this.agentStart.reset();
    this.agentRestarts.reset();
    this.agentRequests.reset();
    this.agentErrors.reset();
    for (const r of this.services.values()) {
      const l = { service: r.name };
      this.agentUp.set(l, r.up ? 1 : 0);
      if (r.startedAtMs) this.agentStart.set(l, r.startedAtMs / 1000);
      this.agentRestarts.inc(l, r.restarts);
      this.agentRequests.inc(l, r.requests);
      this.agentErrors.inc(l, r.errors);
    }
  }

  agentExited(name: string): void {
    this.agentExits.inc({ service: name });
  }

  hookEvent(hook: string): void {
    this.hookEvents.inc({ hook });
  }

  thresholdEvent(metric: string, kind: string): void {
    this.monitorEvents.inc({ metric, kind });
  }

  /** The current phase of each active run. */
  setActiveRuns(phases: string[]): void {
    this.runsActive.reset();
    for (const p of phases) this.runsActive.inc({ phase: p });
  }

  runFinished(r: FinishedRun): void {
    this.runs.inc({ outcome: r.succeeded ? 'succeeded' : 'failed' });
    if (r.durationSeconds !== null) this.runDuration.observe(r.durationSeconds);
    for (const p of r.phases) if (p.seconds !== null) this.phaseDuration.observe({ phase: p.name }, p.seconds);
    if (r.teardown) {
      this.teardowns.inc({ outcome: r.teardown.status });
      this.teardownDuration.observe(r.teardown.seconds);
    }
    if (r.cache) {
      const l = { cache: r.cache.cache };
      this.cacheHits.inc(l, r.cache.hits);
      this.cacheMisses.inc(l, r.cache.misses);
      this.cacheSaved.inc(l, r.cache.bytesSaved);
      this.cacheFetched.inc(l, r.cache.bytesDownloaded);
    }
    for (const source of ['predicted', 'measured'] as const) {
      const m = r.tuning?.[source];
      if (!m) continue;
      this.tunerSeconds.set({ source }, m.seconds);
      this.tunerBytes.set({ source }, m.bytes);
    }
  }

  monitorSample(s: MonitorReading): void {
    this.cpu.set(s.cpuPct / 100);
    this.memRatio.set(s.memPct / 100);
    this.memBytes.set(s.memUsedBytes);
    this.load1.set(s.load1);
    this.diskRatio.reset();
    this.diskFree.reset();
    for (const d of s.disks) {
      this.diskRatio.set({ path: d.path }, d.usedPct / 100);
      this.diskFree.set({ path: d.path }, d.freeBytes);
    }
    if (s.temp) {
      this.tempBytes.set(s.temp.bytes);
      this.tempFiles.set(s.temp.files);
    }
    const b = s.build?.alive ? s.build : null;
    this.buildProcs.set(b?.procs ?? 0);
    this.buildCpu.set((b?.cpuPct ?? 0) / 100);
    this.buildRss.set(b?.rssBytes ?? 0);
    this.buildIo.set({ direction: 'read' }, b?.readBytes ?? 0);
    this.buildIo.set({ direction: 'write' }, b?.writeBytes ?? 0);
    this.sampleTime.set(s.at / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
