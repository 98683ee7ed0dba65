// The tail of each active run's build output (out.log, err.log in its registry dir), read only
// while a page is open, and the run's stages so far (its `phase` marks, a builder's stage lines in
// out.log, read from the start), which the page's charts shade as the report's do. A run whose
// registry dir is not in this state dir (it runs on another host) shows neither: nothing is asked
// of anyone else.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { liveBuildMarks } from '../builders/live-build-stages.js';
import { isValidRunId } from '../report/run-store.js';
import { runDir } from '../run/registry.js';
import { readPhaseMarks } from '../run/stage-marks.js';
import { LogTailReader } from './log-tail-reader.js';
import type { DashboardModel, LogLine, StageStart } from './model.js';

const POLL_MS = 500;

interface Readers {
  dir: string;
  out: LogTailReader;
  err: LogTailReader;
  /** out.log from its start, for the builder's stage lines (which the tail may have skipped). */
  stageLines: LogTailReader;
  builderStages: StageStart[];
  /** The stages last sent, so that an unchanged list is not sent again. */
  sent: string;
}

/** Stage lines are short and a build's output is a few MB: read all of it, a few MB at a time. */
const STAGE_SCAN = { firstBytes: 64 << 20, maxBytes: 8 << 20, maxLine: 2048 };

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
      const found = liveBuildMarks((await r.stageLines.read()).join('\n'));
      r.builderStages.push(...found.map((m) => ({ name: m.name, at: m.at })));
      const stages = [...readPhaseMarks(r.dir).map((m) => ({ name: m.name, at: m.at })), ...r.builderStages].sort(
        (a, b) => a.at - b.at,
      );
      const sig = JSON.stringify(stages);
      if (sig !== r.sent && this.timer) {
        r.sent = sig;
        this.model.runStages(run.runId, stages);
      }
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
    r = {
      dir,
      out: new LogTailReader(join(dir, 'out.log')),
      err: new LogTailReader(join(dir, 'err.log')),
      stageLines: new LogTailReader(join(dir, 'out.log'), STAGE_SCAN),
      builderStages: [],
      sent: '[]',
    };
    this.readers.set(runId, r);
    return r;
  }
}
