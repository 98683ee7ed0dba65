// The tail of each active run's build output (out.log, err.log in its registry dir), read only
// while a page is open. A run whose registry dir is not in this state dir (it runs on another
// host) shows no log: nothing is asked of anyone else.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isValidRunId } from '../report/run-store.js';
import { runDir } from '../run/registry.js';
import { LogTailReader } from './log-tail-reader.js';
import type { DashboardModel, LogLine } from './model.js';

const POLL_MS = 500;

interface Readers {
  out: LogTailReader;
  err: LogTailReader;
}

export class RunLogs {
  private readonly readers = new Map<string, Readers | null>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;

  constructor(
    private readonly stateRoot: string,
    private readonly model: DashboardModel,
  ) {}

  /** Follows the logs while `on`; off drops every reader and what the model kept. */
  follow(on: boolean): void {
    if (on && !this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
      void this.poll();
    } else if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.readers.clear();
      this.model.clearLogs();
    }
  }

  stop(): void {
    this.follow(false);
  }

  /** One round: what is new in each active run's files goes to the model (a round under way is joined, not stacked on). */
  poll(): Promise<void> {
    this.round ??= this.readRound().finally(() => (this.round = null));
    return this.round;
  }

  private async readRound(): Promise<void> {
    if (!this.timer) return; // no page open: nothing is read
    for (const id of this.readers.keys()) if (!this.model.active.has(id)) this.readers.delete(id);
    for (const run of this.model.active.values()) {
      const r = this.readersOf(run.runId, run.host);
      if (!r) continue;
      const lines: LogLine[] = [];
      for (const text of await r.out.read()) lines.push({ err: false, text });
      for (const text of await r.err.read()) lines.push({ err: true, text });
      if (lines.length && this.timer) this.model.runLog(run.runId, lines);
    }
  }

  private readersOf(runId: string, host: string): Readers | null {
    let r = this.readers.get(runId);
    if (r !== undefined) return r;
    const dir = isValidRunId(runId) && (!host || host === hostname()) ? runDir(this.stateRoot, runId) : null;
    // Not registered here (yet): asked again next round, as the registry dir may appear late.
    if (!dir || !existsSync(dir)) {
      if (!dir) this.readers.set(runId, null);
      return null;
    }
    r = { out: new LogTailReader(join(dir, 'out.log')), err: new LogTailReader(join(dir, 'err.log')) };
    this.readers.set(runId, r);
    return r;
  }
}
