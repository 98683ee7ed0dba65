// What the dashboard knows about the swarm right now, fed by the bus and the run store, bounded in
// size. Every change is emitted as a small named update for the page (server-sent events).
import { EventEmitter } from 'node:events';
import type { RunProgress } from '../run/progress.js';

export interface ServiceRow {
  name: string;
  /** Answers discovery and, for an agent, the supervisor reports it running. */
  up: boolean;
  state: string;
  pid: number | null;
  host: string;
  version: string;
  startedAt: number | null;
  requests: number;
  errors: number;
  restarts: number;
  lastError: string | null;
}

export interface FeedEvent {
  at: number;
  /** alert, recovery, hook, agent, run */
  kind: string;
  level: 'info' | 'warning' | 'critical';
  text: string;
}

/** A run as its CLI announces it (src/run/progress.ts), with when the page last heard of it. */
export interface ActiveRun extends RunProgress {
  seenAt: number;
}

export interface PastRun {
  runId: string;
  name: string;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  durationMs: number | null;
  teardown: string | null;
  report: boolean;
}

/** One line of a run's build output: from err.log when `err`. */
export interface LogLine {
  err: boolean;
  text: string;
}

/** Where a stage of an active run began (a `phase` call, a builder's stage line): the charts shade from it. */
export interface StageStart {
  name: string;
  at: number;
}

export interface PatternRow {
  key: string;
  updatedAt: string | null;
  evidence: string;
}

const MAX_SAMPLES = 600;
const MAX_EVENTS = 100;
const MAX_PAST = 20;
/** Lines of build output kept per active run, for a page that opens later. */
const MAX_LOG_LINES = 200;
/** A run that said nothing for this long (its CLI was killed) is no longer shown as active. */
const ACTIVE_RUN_SILENCE_MS = 6 * 3600_000;
/** A finished run stays in "active" this long, so its last phase can be seen. */
const FINISHED_LINGER_MS = 60_000;

export class DashboardModel extends EventEmitter {
  services: ServiceRow[] = [];
  readonly samples: unknown[] = [];
  readonly events: FeedEvent[] = [];
  readonly active = new Map<string, ActiveRun>();
  past: PastRun[] = [];
  patterns: PatternRow[] = [];
  /** The tail of each active run's output, kept only while a page is open. */
  readonly logs = new Map<string, LogLine[]>();
  /** Each active run's stages so far, read with its logs (only while a page is open). */
  readonly stages = new Map<string, StageStart[]>();
  /** Agents whose exit was seen and whose new instance has not answered discovery yet. */
  readonly down = new Map<string, number>();
  /** Whether this server's own connection to the bus is up (else nothing on the page moves). */
  bus: 'connected' | 'disconnected' = 'connected';

  constructor(
    readonly host: string,
    readonly version: string,
  ) {
    super();
    this.setMaxListeners(0);
  }

  snapshot(): Record<string, unknown> {
    return {
      host: this.host,
      version: this.version,
      services: this.services,
      samples: this.samples,
      events: this.events,
      runs: this.runsView(),
      patterns: this.patterns,
      logs: Object.fromEntries(this.logs),
      stages: Object.fromEntries(this.stages),
      bus: this.bus,
    };
  }

  setBus(state: 'connected' | 'disconnected'): void {
    if (state === this.bus) return;
    this.bus = state;
    this.emit('update', 'bus', state);
  }

  setServices(rows: ServiceRow[]): void {
    for (const r of rows) {
      const downSince = this.down.get(r.name);
      // Still the dead instance's answer (discovery lags an exit by a moment): keep it down.
      if (downSince !== undefined && r.up && r.startedAt !== null && r.startedAt <= downSince) r.up = false;
      if (downSince !== undefined && r.up) {
        this.down.delete(r.name);
        this.event({
          at: Date.now(),
          kind: 'agent',
          level: 'info',
          text: `${r.name} is back (pid ${r.pid ?? '?'}, restarts ${r.restarts})`,
        });
      }
      if (this.down.has(r.name)) {
        r.up = false;
        if (r.state === 'running') r.state = 'restarting';
      }
    }
    this.services = rows;
    this.emit('update', 'services', rows);
  }

  agentExited(name: string, pid: number, code: number | null, signal: string | null, at: number): void {
    this.down.set(name, at);
    const row = this.services.find((s) => s.name === name);
    if (row) {
      Object.assign(row, {
        up: false,
        state: 'exited',
        pid: null,
        lastError: `exited ${signal ? `by ${signal}` : `with code ${code}`}`,
      });
      this.emit('update', 'services', this.services);
    }
    this.event({
      at,
      kind: 'agent',
      level: 'warning',
      text: `${name} (pid ${pid}) exited ${signal ? `by ${signal}` : `with code ${code}`}; the supervisor restarts it`,
    });
  }

  sample(s: unknown): void {
    this.samples.push(s);
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    this.emit('update', 'sample', s);
  }

  event(e: FeedEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    this.emit('update', 'event', e);
  }

  runProgress(r: Omit<ActiveRun, 'seenAt'>): void {
    this.active.set(r.runId, { ...r, seenAt: Date.now() });
    this.emitRuns();
  }

  runLog(runId: string, lines: LogLine[]): void {
    const kept = this.logs.get(runId) ?? [];
    kept.push(...lines);
    if (kept.length > MAX_LOG_LINES) kept.splice(0, kept.length - MAX_LOG_LINES);
    this.logs.set(runId, kept);
    this.emit('update', 'log', { runId, lines: lines.slice(-MAX_LOG_LINES) });
  }

  runStages(runId: string, stages: StageStart[]): void {
    this.stages.set(runId, stages);
    this.emit('update', 'stages', { runId, stages });
  }

  /** Drops the logs and the stages read with them (no page is open to show them). */
  clearLogs(): void {
    this.logs.clear();
    this.stages.clear();
  }

  setPast(runs: PastRun[]): void {
    this.past = runs.slice(-MAX_PAST);
    this.emitRuns();
  }

  setPatterns(rows: PatternRow[]): void {
    this.patterns = rows;
    this.emit('update', 'patterns', rows);
  }

  /** Drops runs that ended a while ago or went silent; true when something changed. */
  expireRuns(now = Date.now()): boolean {
    let changed = false;
    for (const [id, r] of this.active) {
      const done = r.endedAt !== null && now - r.seenAt > FINISHED_LINGER_MS;
      if (done || now - r.seenAt > ACTIVE_RUN_SILENCE_MS) {
        this.active.delete(id);
        this.logs.delete(id);
        this.stages.delete(id);
        changed = true;
      }
    }
    if (changed) this.emitRuns();
    return changed;
  }

  /** The phase each unfinished run is in. */
  activePhases(): string[] {
    return [...this.active.values()].filter((r) => r.endedAt === null).map((r) => r.phases.at(-1)?.name ?? 'starting');
  }

  runsView(): { active: ActiveRun[]; past: PastRun[] } {
    return { active: [...this.active.values()], past: this.past };
  }

  private emitRuns(): void {
    this.emit('update', 'runs', this.runsView());
  }
}
