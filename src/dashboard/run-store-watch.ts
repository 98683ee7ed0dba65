// Finished runs from the run store (<state>/runs/<id>.json): the newest are listed for the page,
// and each record that appears while the dashboard runs is counted once in the metrics.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import { readRunFile } from '../report/run-store.js';
import type { SwarmMetrics, FinishedRun } from '../metrics/registry.js';
import type { RunRecord } from '../schemas/run-record.js';
import type { DashboardModel, PastRun } from './model.js';

const LISTED = 20;
/** fs.watch can miss events (a dir replaced, an overflowing queue): a slow rescan catches up. */
const RESCAN_MS = 15_000;

const secondsBetween = (a: string | null | undefined, b: string | null | undefined): number | null => {
  if (!a || !b) return null;
  const d = (Date.parse(b) - Date.parse(a)) / 1000;
  return Number.isFinite(d) && d >= 0 ? d : null;
};

export function finishedRunOf(r: RunRecord): FinishedRun {
  const raw = r as Record<string, unknown>;
  const c = raw.cache as Record<string, unknown> | undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const m = (x: { timeMs: number; sizeBytes: number } | null | undefined) =>
    x ? { seconds: x.timeMs / 1000, bytes: x.sizeBytes } : null;
  return {
    durationSeconds: secondsBetween(r.startedAt, r.endedAt),
    succeeded: r.exitCode === 0,
    phases: r.phases.map((p) => ({ name: p.name, seconds: secondsBetween(p.startedAt, p.endedAt) })),
    teardown: r.teardown ? { status: r.teardown.status, seconds: r.teardown.durationMs / 1000 } : null,
    cache:
      c && typeof c.cache === 'string'
        ? {
            cache: c.cache,
            hits: num(c.hits),
            misses: num(c.misses),
            bytesSaved: num(c.bytesSaved),
            bytesDownloaded: num(c.bytesDownloaded),
          }
        : null,
    tuning: r.tuning ? { predicted: m(r.tuning.predicted), measured: m(r.tuning.measured) } : null,
  };
}

function pastOf(r: RunRecord, dir: string): PastRun {
  const d = secondsBetween(r.startedAt, r.endedAt);
  return {
    runId: r.runId,
    name: r.name,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    exitCode: r.exitCode,
    durationMs: d === null ? null : Math.round(d * 1000),
    teardown: r.teardown?.status ?? null,
    report: existsSync(join(dir, `${r.runId}.html`)),
  };
}

export class RunStoreWatch {
  private readonly seen = new Set<string>();
  private listed: PastRun[] = [];
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly model: DashboardModel,
    private readonly metrics: SwarmMetrics,
  ) {}

  start(): void {
    this.scan(false);
    try {
      this.watcher = watch(this.dir, () => this.soon());
      this.watcher.on('error', () => undefined);
    } catch {
      /* no watch: the rescan still works */
    }
    this.timer = setInterval(() => this.scan(true), RESCAN_MS);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
  }

  private soon(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.scan(true);
    }, 200);
    this.debounce.unref();
  }

  /** Reads only records not seen yet; at start, only the newest few are parsed (and not counted). */
  private scan(count: boolean): void {
    let files: { id: string; mtime: number }[];
    try {
      files = readdirSync(this.dir)
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .map((n) => ({
          id: basename(n, '.json'),
          mtime: statSync(join(this.dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0,
        }))
        .sort((a, b) => a.mtime - b.mtime);
    } catch {
      return;
    }
    const fresh = files.filter((f) => !this.seen.has(f.id));
    if (!fresh.length) return;
    const newest = new Set((count ? fresh : fresh.slice(-LISTED)).map((f) => f.id));
    for (const f of fresh) {
      this.seen.add(f.id);
      if (!newest.has(f.id)) continue;
      let r: RunRecord;
      try {
        r = readRunFile(join(this.dir, `${f.id}.json`));
      } catch {
        continue;
      }
      if (count) this.metrics.runFinished(finishedRunOf(r));
      this.listed.push(pastOf(r, this.dir));
    }
    this.listed = this.listed.slice(-LISTED);
    this.model.setPast(this.listed);
  }
}
