// What both renderers say about a run: its outcome in words, its time span, the resource series and
// their peaks, and one-line tallies of the teardown and the clean.
import { constants } from 'node:os';
import type { RunRecord } from '../schemas/run-record.js';
import { epoch, formatBytes } from './format.js';
import { COLORS, diskSeries, extract, peakOf, type Peak, type Series } from './series.js';
import { markPreMounts } from './pre-mounts.js';

export type Outcome = 'success' | 'failed' | 'signalled' | 'running';

export interface RunSummary {
  outcome: Outcome;
  /** e.g. "Succeeded", "Failed (exit 2)", "Killed by SIGKILL (exit 137)". */
  headline: string;
  exitText: string;
  durationMs: number | null;
  /** Time domain for charts and the phase timeline (epoch ms). */
  t0: number;
  t1: number;
  charts: { cpu: Series; memory: Series; disks: Series[]; temp: Series; rss: Series; written: Series };
  peaks: { cpu: Peak | null; memory: Peak | null; disks: Peak[]; temp: Peak | null; rss: Peak | null };
  teardownText: string;
  deleted: { files: number; dirs: number; bytes: number };
  /** Problems a reader must not miss: lazy unmounts, mounts left, refusals. */
  warnings: string[];
}

function signalName(n: number): string | null {
  const e = Object.entries(constants.signals).find(([, v]) => v === n);
  return e ? e[0] : null;
}

function outcomeOf(r: RunRecord): { outcome: Outcome; headline: string; exitText: string } {
  if (r.signal) {
    const num = (constants.signals as Record<string, number | undefined>)[r.signal];
    const exit = r.exitCode ?? (num !== undefined ? 128 + num : null);
    return {
      outcome: 'signalled',
      headline: `Killed by ${r.signal}`,
      exitText: exit === null ? r.signal : `${exit} (${r.signal})`,
    };
  }
  if (r.exitCode === null)
    return r.endedAt
      ? { outcome: 'failed', headline: 'Ended without an exit code', exitText: '–' }
      : { outcome: 'running', headline: 'Still running (or never finished)', exitText: '–' };
  if (r.exitCode === 0) return { outcome: 'success', headline: 'Succeeded', exitText: '0' };
  const sig = r.exitCode > 128 ? signalName(r.exitCode - 128) : null;
  return sig
    ? { outcome: 'signalled', headline: `Killed by ${sig}`, exitText: `${r.exitCode} (${sig})` }
    : { outcome: 'failed', headline: `Failed with exit code ${r.exitCode}`, exitText: String(r.exitCode) };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function summarize(r: RunRecord): RunSummary {
  const start = epoch(r.startedAt);
  const end = epoch(r.endedAt);
  const times = r.samples.map((s) => s.at).filter(Number.isFinite);
  const t0 = Math.min(start ?? Infinity, ...times);
  const t1 = Math.max(end ?? -Infinity, ...times);
  const s = r.samples;
  const charts = {
    cpu: extract(s, 'cpu', 'CPU (all cores)', COLORS.cpu, (x) => x.cpuPct),
    memory: extract(s, 'memory', 'Memory used', COLORS.memory, (x) => x.memPct),
    disks: diskSeries(s),
    temp: extract(s, 'temp', s.find((x) => x.temp)?.temp?.path ?? 'temp', COLORS.temp, (x) => x.temp?.bytes),
    rss: extract(s, 'rss', 'Build tree RSS', COLORS.rss, (x) => x.build?.rssBytes),
    written: extract(s, 'written', 'Written by the build', COLORS.written, (x) => x.build?.writeBytes),
  };
  const deleted = { files: 0, dirs: 0, bytes: 0 };
  for (const t of r.clean?.targets ?? []) {
    deleted.files += t.deleted.files;
    deleted.dirs += t.deleted.dirs;
    deleted.bytes += t.deleted.bytes;
  }
  return {
    ...outcomeOf(r),
    durationMs: start !== null && end !== null ? end - start : null,
    t0: Number.isFinite(t0) ? t0 : 0,
    t1: Number.isFinite(t1) ? t1 : Number.isFinite(t0) ? t0 : 0,
    charts,
    peaks: {
      cpu: peakOf(charts.cpu),
      memory: peakOf(charts.memory),
      disks: charts.disks.map(peakOf).filter((p): p is Peak => p !== null),
      temp: peakOf(charts.temp),
      rss: peakOf(charts.rss),
    },
    teardownText: teardownText(r, deleted),
    deleted,
    warnings: warningsOf(r),
  };
}

function teardownText(r: RunRecord, deleted: { files: number; bytes: number }): string {
  const t = r.teardown;
  if (!t && !r.clean) return r.chroot ? 'No teardown recorded' : 'Nothing to tear down (no chroot)';
  const parts: string[] = [];
  if (t) {
    if (t.status === 'refused') parts.push(`teardown refused${t.reason ? `: ${t.reason}` : ''}`);
    parts.push(plural(t.signalled.length, 'process', 'processes') + ' signalled');
    const before = markPreMounts(r.checkpoint, t)?.unmounted.length ?? 0;
    parts.push(
      plural(t.unmounted.length, 'mount') + ' unmounted' + (before ? ` (${before} there before the run)` : ''),
    );
    if (t.detachedLoops.length) parts.push(plural(t.detachedLoops.length, 'loop device') + ' detached');
  }
  if (r.clean) parts.push(`${formatBytes(deleted.bytes)} in ${plural(deleted.files, 'file')} deleted`);
  return parts.join(' · ');
}

function warningsOf(r: RunRecord): string[] {
  const w: string[] = [];
  const t = r.teardown;
  if (t?.status === 'refused')
    w.push(`The teardown was refused${t.reason ? `: ${t.reason}` : ''}. Nothing was unmounted or signalled.`);
  else if (t?.status === 'failed') w.push(`The teardown failed${t.reason ? `: ${t.reason}` : ''}.`);
  if (t?.remaining.length)
    w.push(`${plural(t.remaining.length, 'mount')} still mounted under the chroot after the teardown.`);
  const before = markPreMounts(r.checkpoint, t)?.unmounted ?? [];
  if (before.length)
    w.push(
      `The teardown unmounted ${plural(before.length, 'mount')} that ${before.length === 1 ? 'was' : 'were'} under the chroot before the run: ${before.map((p) => p.mountPoint).join(', ')}.`,
    );
  if (t?.usedLazy)
    w.push('A lazy unmount was used as a last resort: the tree may still be reachable, so it was not deleted.');
  if (t?.holders.length)
    w.push(
      `${plural(t.holders.length, 'process', 'processes')} outside the chroot held files in it (reported, never signalled).`,
    );
  const survived = t?.signalled.filter((p) => p.outcome === 'survived').length ?? 0;
  if (survived) w.push(`${plural(survived, 'process', 'processes')} survived SIGKILL.`);
  const refused = r.clean?.targets.filter((x) => x.status === 'refused').length ?? 0;
  if (refused) w.push(`The Cleaner refused ${plural(refused, 'target')} (see below for the reasons).`);
  return w;
}
