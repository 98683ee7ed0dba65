// Over 250 lines on purpose: every NATS feed of the page (metrics, events, runs, discovery) starts and stops as one unit.
// Feeds the dashboard's model and the metrics from the swarm: the Monitor's samples (core NATS),
// hook events and alerts (the durable stream's subjects, read live), run phases and agent exits
// (core NATS), services through $SRV.INFO/$SRV.STATS plus the coordinator's status, and finished
// runs from the run store. Discovery is asked only while someone looks (a page or a scrape).
import { hostname } from 'node:os';
import type { NatsConnection, Subscription } from 'nats';
import { decodeJson } from '../bus/codec.js';
import { infoAll, statsAll } from '../bus/discovery.js';
import { requestEndpoint } from '../bus/request.js';
import { agentExitSubject, eventSubject, eventTail, metricsSubject, runProgressSubject } from '../bus/subjects.js';
import type { SwarmMetrics } from '../metrics/registry.js';
import type { DashboardModel, ServiceRow } from './model.js';
import { RunLogs } from './run-logs.js';
import { RunStoreWatch } from './run-store-watch.js';

export interface FeedOptions {
  nc: NatsConnection;
  prefix: string;
  runsDir: string;
  /** The state dir whose run registry holds the builds' output. */
  stateRoot: string;
  model: DashboardModel;
  metrics: SwarmMetrics;
  /** Services the swarm should have, shown as down when they do not answer. */
  expected: readonly string[];
  requestTimeoutMs: number;
}

interface CoordinatorStatus {
  agents: {
    name: string;
    pid: number | null;
    state: string;
    restarts: number;
    lastExit: { code: number | null; signal: string | null; at: string } | null;
  }[];
}

const SLOW_POLL_MS = 2000;
const FAST_POLL_MS = 250;
const PATTERNS_POLL_MS = 30_000;

export class Feeds {
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private patternsTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private lastPoll = 0;
  private readonly store: RunStoreWatch;
  private readonly logs: RunLogs;
  /** Open pages: discovery is polled on a timer only while this is above zero. */
  private watchers = 0;
  private closed = false;

  constructor(private readonly o: FeedOptions) {
    this.store = new RunStoreWatch(o.runsDir, o.model, o.metrics);
    this.logs = new RunLogs(o.stateRoot, o.model);
  }

  start(): void {
    const { prefix, model, metrics } = this.o;
    this.sub(metricsSubject(prefix), (_s, v) => {
      model.sample(v);
      metrics.monitorSample(v as Parameters<SwarmMetrics['monitorSample']>[0]);
    });
    this.sub(eventSubject(prefix, '>'), (subject, v) => this.onEvent(subject, v as Record<string, unknown>));
    this.sub(agentExitSubject(prefix), (_s, v) => {
      const e = v as { name: string; pid: number; code: number | null; signal: string | null; at: number };
      model.agentExited(e.name, e.pid, e.code, e.signal, e.at);
      metrics.agentExited(e.name);
      this.schedule(FAST_POLL_MS);
    });
    this.sub(runProgressSubject(prefix), (_s, v) => {
      model.runProgress(v as Parameters<DashboardModel['runProgress']>[0]);
      metrics.setActiveRuns(model.activePhases());
    });
    this.store.start();
    void (async () => {
      for await (const st of this.o.nc.status()) {
        if (st.type === 'disconnect') model.setBus('disconnected');
        else if (st.type === 'reconnect') {
          model.setBus('connected');
          this.schedule(0);
        }
      }
    })().catch(() => undefined);
    void this.pollServices();
    void this.pollPatterns();
  }

  /** A page opened (+1) or closed (-1). */
  watch(delta: 1 | -1): void {
    this.watchers += delta;
    this.logs.follow(this.watchers > 0);
    if (delta === 1 && this.watchers === 1) {
      // The first page: fresh numbers now, then on the timer.
      this.schedule(0);
      void this.pollPatterns();
    }
    if (this.watchers > 0 && !this.timer) this.schedule(SLOW_POLL_MS);
    if (this.watchers > 0 && !this.patternsTimer) {
      this.patternsTimer = setInterval(() => void this.pollPatterns(), PATTERNS_POLL_MS);
      this.patternsTimer.unref();
    }
    if (this.watchers === 0 && this.patternsTimer) {
      clearInterval(this.patternsTimer);
      this.patternsTimer = null;
    }
  }

  /** Fresh service numbers for a scrape: reuses a round younger than a second. */
  async refresh(): Promise<void> {
    if (Date.now() - this.lastPoll < 1000) return;
    await this.pollServices();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.patternsTimer) clearInterval(this.patternsTimer);
    this.store.stop();
    this.logs.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.polling?.catch(() => undefined);
  }

  private sub(subject: string, fn: (subject: string, v: unknown) => void): void {
    const s = this.o.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        try {
          fn(m.subject, decodeJson(m.data));
        } catch {
          /* a malformed message is skipped */
        }
      },
    });
    this.subs.push(s);
  }

  private onEvent(subject: string, v: Record<string, unknown>): void {
    const { prefix, model, metrics } = this.o;
    const tokens = eventTail(prefix, subject); // events.<kind>.…
    const at = Date.now();
    if (tokens[1] === 'hook') {
      const hook = String(v.hook ?? tokens[2] ?? 'unknown');
      metrics.hookEvent(hook);
      const what = [v.taskId && `task ${v.taskId}`, v.file && `file ${v.file}`, v.message && `"${v.message}"`]
        .filter(Boolean)
        .join(', ');
      model.event({ at, kind: 'hook', level: 'info', text: `hook ${hook}${what ? `: ${what}` : ''}` });
    } else if (tokens[1] === 'monitor') {
      const kind = String(v.kind ?? tokens[2]);
      const metric = String(v.metric ?? tokens[3]);
      metrics.thresholdEvent(metric, kind);
      const level = kind === 'recovery' ? 'info' : v.level === 'critical' ? 'critical' : 'warning';
      model.event({
        at: Number(v.at) || at,
        kind,
        level,
        text: `${metric} ${kind} (${String(v.level ?? '')}) on ${String(v.subject ?? '')}: ${Number(v.value).toFixed(1)} vs ${String(v.threshold)}`,
      });
    } else if (tokens[1] === 'reactor') {
      const a = (v.action ?? {}) as { status?: string; bytesFreed?: number; why?: string; error?: string };
      const detail =
        a.error ?? a.why ?? (a.bytesFreed !== undefined ? `${(a.bytesFreed / 1048576).toFixed(1)} MiB freed` : '');
      model.event({
        at,
        kind: 'reactor',
        level: a.status === 'failed' ? 'warning' : 'info',
        text: `reactor, on the ${String(v.metric)} ${String(v.event)}: cleanup ${a.status ?? 'none'}${detail ? ` (${detail})` : ''}`,
      });
    } else {
      model.event({ at, kind: tokens[1] ?? 'event', level: 'info', text: subject });
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollServices().finally(() => {
        // Fast while an agent is being restarted, slow while a page is open, not at all otherwise.
        if (this.o.model.down.size > 0) this.schedule(FAST_POLL_MS);
        else if (this.watchers > 0) this.schedule(SLOW_POLL_MS);
      });
    }, ms);
    this.timer.unref();
  }

  private pollServices(): Promise<void> {
    this.polling ??= this.doPoll().finally(() => {
      this.polling = null;
      this.lastPoll = Date.now();
    });
    return this.polling;
  }

  private async doPoll(): Promise<void> {
    const { nc, prefix, model, metrics, expected } = this.o;
    if (nc.isClosed()) return;
    const wait = 300;
    const [infos, stats, coord] = await Promise.all([
      infoAll(nc, wait),
      statsAll(nc, wait),
      requestEndpoint<CoordinatorStatus>(nc, prefix, 'coordinator', 'status', {}, this.o.requestTimeoutMs).catch(
        () => null,
      ),
    ]);
    const rows: ServiceRow[] = [];
    for (const name of new Set([...expected, ...infos.map((i) => i.name)])) {
      // One instance per name on this host's swarm; another host's answer is used only when ours is missing.
      const named = infos.filter((i) => i.name === name);
      const info = named.find((i) => i.metadata?.host === hostname()) ?? named.at(-1);
      const st = info ? stats.find((s) => s.id === info.id) : undefined;
      const agent = coord?.agents.find((a) => a.name === name);
      const eps = st?.endpoints ?? [];
      const ownErrors = (d: unknown) =>
        d && typeof d === 'object' && 'errors' in d ? Number((d as { errors: number }).errors) : 0;
      const lastErr =
        eps
          .map((e) => e.last_error)
          .filter(Boolean)
          .at(-1) ?? null;
      const exit = agent?.lastExit;
      const state = !info && (!agent || agent.state === 'running') ? 'not answering' : (agent?.state ?? 'running');
      rows.push({
        name,
        up: !!info && (!agent || agent.state === 'running'),
        state,
        pid: info?.metadata?.pid ? Number(info.metadata.pid) : (agent?.pid ?? null),
        host: info?.metadata?.host ?? '',
        version: info?.version ?? '',
        startedAt: st ? Date.parse(st.started) : null,
        requests: eps.reduce((n, e) => n + e.num_requests, 0),
        errors: eps.reduce((n, e) => n + Math.max(e.num_errors, ownErrors(e.data)), 0),
        restarts: agent?.restarts ?? 0,
        lastError: lastErr
          ? String(lastErr)
          : exit
            ? `exited ${exit.signal ? `by ${exit.signal}` : `with code ${exit.code}`} at ${exit.at}`
            : null,
      });
    }
    model.setServices(rows);
    metrics.setServices(
      rows.map((r) => ({
        name: r.name,
        up: r.up,
        restarts: r.restarts,
        requests: r.requests,
        errors: r.errors,
        startedAtMs: r.startedAt,
      })),
    );
    metrics.setActiveRuns(model.activePhases());
    model.expireRuns();
  }

  private async pollPatterns(): Promise<void> {
    const { nc, prefix, model } = this.o;
    const list = await requestEndpoint<{ key: string; value: Record<string, unknown>; updatedAt: string }[]>(
      nc,
      prefix,
      'coordinator',
      'memory-list',
      { prefix: 'optimization/', limit: 50 },
      this.o.requestTimeoutMs,
    ).catch(() => null);
    if (!list) return;
    model.setPatterns(
      list.map(({ key, value, updatedAt }) => ({
        key,
        updatedAt: updatedAt ?? null,
        evidence: evidenceOf(value),
      })),
    );
  }
}

/** The counts behind a pattern, in one line (`runs 4, succeeded 3`). */
function evidenceOf(v: Record<string, unknown> | undefined): string {
  if (!v || typeof v !== 'object') return '';
  const counts = (v.counts && typeof v.counts === 'object' ? v.counts : v) as Record<string, unknown>;
  return Object.entries(counts)
    .filter(([, n]) => typeof n === 'number')
    .slice(0, 6)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
