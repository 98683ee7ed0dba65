// Threshold evaluation, pure: readings + previous state in, new state + events out. Hysteresis (a level
// clears only below its threshold minus a margin) and a minimum interval between alerts of the same
// level keep a value that hovers at a threshold from producing an alert storm.

import type { Level, LevelState, Metric, ThresholdEvent } from '../../src/schemas/agents/monitor.js';

export type { Level, LevelState, Metric, ThresholdEvent };

export interface ThresholdConfig {
  diskPct: number;
  diskEmergencyPct: number;
  memPct: number;
  tempBytes: number;
  /** Margin below a threshold before it clears: points for percentages, percent of the threshold for temp. */
  hysteresisPct: number;
  /** No second alert of the same level for the same subject within this time. */
  minAlertIntervalMs: number;
}

/** The request's defaults: disk > 85 %, memory > 90 %, temp > 10 GiB, emergency disk > 95 %. */
export const DEFAULT_THRESHOLDS: ThresholdConfig = {
  diskPct: 85,
  diskEmergencyPct: 95,
  memPct: 90,
  tempBytes: 10 * 1024 ** 3,
  hysteresisPct: 5,
  minAlertIntervalMs: 60_000,
};

export interface Reading {
  metric: Metric;
  /** What was measured: a disk's path, the temp dir, or 'memory'. */
  subject: string;
  value: number;
}

interface SubjectState {
  state: LevelState;
  lastAlertAt: Partial<Record<Level, number>>;
}

/** Per `metric:subject` state; a plain object so that it can be persisted or inspected. */
export type ThresholdState = Record<string, SubjectState>;

interface Rule {
  warning: number;
  emergency: number | null;
  margin: number;
}

function ruleFor(metric: Metric, c: ThresholdConfig): Rule {
  switch (metric) {
    case 'disk':
      return { warning: c.diskPct, emergency: c.diskEmergencyPct, margin: c.hysteresisPct };
    case 'memory':
      return { warning: c.memPct, emergency: null, margin: c.hysteresisPct };
    case 'temp':
      return { warning: c.tempBytes, emergency: null, margin: (c.tempBytes * c.hysteresisPct) / 100 };
  }
}

const rank: Record<LevelState, number> = { ok: 0, warning: 1, emergency: 2 };

/** Where the value would take the state, rising at once and falling only past the margin. */
function target(s: LevelState, v: number, r: Rule): LevelState {
  let n = s;
  if (r.emergency !== null && v > r.emergency) n = 'emergency';
  else if (v > r.warning && n === 'ok') n = 'warning';
  if (n === 'emergency' && (r.emergency === null || v < r.emergency - r.margin)) n = 'warning';
  if (n === 'warning' && v < r.warning - r.margin) n = 'ok';
  return n;
}

/** Evaluates one round of readings. Does not modify `prev`. */
export function evaluate(
  prev: ThresholdState,
  readings: readonly Reading[],
  config: ThresholdConfig,
  at: number,
): { state: ThresholdState; events: ThresholdEvent[] } {
  const state: ThresholdState = { ...prev };
  const events: ThresholdEvent[] = [];
  for (const { metric, subject, value } of readings) {
    if (!Number.isFinite(value)) continue;
    const key = `${metric}:${subject}`;
    const cur = state[key] ?? { state: 'ok', lastAlertAt: {} };
    const r = ruleFor(metric, config);
    const next = target(cur.state, value, r);
    if (next === cur.state) {
      state[key] = cur;
      continue;
    }
    const base = { metric, subject, value, at, state: next };
    if (rank[next] > rank[cur.state]) {
      const level = next as Level;
      const last = cur.lastAlertAt[level];
      // Too soon after the last alert of this level: stay put and alert later if it persists.
      if (last !== undefined && at - last < config.minAlertIntervalMs) {
        state[key] = cur;
        continue;
      }
      const threshold = level === 'emergency' ? (r.emergency as number) : r.warning;
      events.push({ kind: 'alert', level, threshold, ...base });
      state[key] = { state: next, lastAlertAt: { ...cur.lastAlertAt, [level]: at } };
    } else {
      const level = cur.state as Level;
      const threshold = level === 'emergency' ? (r.emergency as number) : r.warning;
      events.push({ kind: 'recovery', level, threshold, ...base });
      state[key] = { state: next, lastAlertAt: cur.lastAlertAt };
    }
  }
  return { state, events };
}

/** The subset of a Sample the thresholds look at (structural, so that this file stays pure). */
export interface SampleReadings {
  memPct: number;
  disks: readonly { path: string; usedPct: number }[];
  temp: { path: string; bytes: number } | null;
}

/** Readings of one sample. A temp total that is not complete yet is a lower bound, so it may alert. */
export function readingsOf(s: SampleReadings): Reading[] {
  const out: Reading[] = [{ metric: 'memory', subject: 'memory', value: s.memPct }];
  for (const d of s.disks) out.push({ metric: 'disk', subject: d.path, value: d.usedPct });
  if (s.temp) out.push({ metric: 'temp', subject: s.temp.path, value: s.temp.bytes });
  return out;
}

/** Convenience holder of the state between rounds. */
export class Thresholds {
  private state: ThresholdState = {};

  constructor(readonly config: ThresholdConfig = DEFAULT_THRESHOLDS) {}

  update(readings: readonly Reading[], at: number = Date.now()): ThresholdEvent[] {
    const r = evaluate(this.state, readings, this.config, at);
    this.state = r.state;
    return r.events;
  }

  /** Current state per `metric:subject`. */
  snapshot(): ThresholdState {
    return structuredClone(this.state);
  }
}
