// The top of the HTML report: the outcome at a glance, key numbers, warnings, and the phase timeline.
import type { RunRecord } from '../schemas/run-record.js';
import { epoch, esc, formatBytes, formatDuration, formatOffset, formatPct, formatTime, shellJoin } from './format.js';
import type { Peak } from './series.js';
import { plural, type Outcome, type RunSummary } from './summary.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

const OUTCOME_TONE: Record<Outcome, Tone> = { success: 'ok', failed: 'bad', signalled: 'bad', running: 'info' };

/** Colour family of a free-form status word (phases, teardown, clean targets, process outcomes). */
export function toneOf(status: string): Tone {
  const s = status.toLowerCase();
  if (/^(ok|done|success|succeeded|passed|deleted|cleaned|exited|complete(d)?)$/.test(s)) return 'ok';
  if (/^(fail(ed)?|error|survived)$/.test(s)) return 'bad';
  if (/^(interrupted|killed|refused|timeout|timed-out|partial|aborted|skipped-reused)$/.test(s)) return 'warn';
  if (/^(running|started|vanished)$/.test(s)) return 'info';
  return 'muted';
}

export function chip(text: string, tone: Tone = toneOf(text)): string {
  return `<span class="chip tone-${tone}" title="${esc(text)}">${esc(text)}</span>`;
}

function stat(k: string, v: string, sub = ''): string {
  return `<div class="stat"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div>${sub ? `<div class="s" title="${esc(sub)}">${esc(sub)}</div>` : ''}</div>`;
}

function peakSub(p: Peak | null, t0: number, extra = ''): string {
  return p ? `at +${formatOffset(p.t - t0)}${extra}` : 'no samples';
}

export function renderHeader(r: RunRecord, s: RunSummary): string {
  const meta = [
    `run <code>${esc(r.runId)}</code>`,
    r.host ? `on ${esc(r.host)}` : '',
    r.chroot ? `chroot <code>${esc(r.chroot)}</code>` : 'no chroot',
    r.isolate ? 'private mount namespace' : '',
  ].filter(Boolean);
  const memAtPeak = s.peaks.memory ? r.samples.find((x) => x.at === s.peaks.memory!.t)?.memUsedBytes : undefined;
  const disk = s.peaks.disks.reduce<Peak | null>((a, b) => (!a || b.v > a.v ? b : a), null);
  const tempAtPeak = s.peaks.temp ? r.samples.find((x) => x.at === s.peaks.temp!.t)?.temp : undefined;
  const t = r.teardown;
  const refused = r.clean?.targets.filter((x) => x.status === 'refused').length ?? 0;
  const stats = [
    stat('Exit code', r.exitCode === null ? '–' : String(r.exitCode), s.headline),
    stat('Duration', formatDuration(s.durationMs), formatTime(r.startedAt).slice(0, 19)),
    stat('Peak CPU', s.peaks.cpu ? formatPct(s.peaks.cpu.v) : '–', peakSub(s.peaks.cpu, s.t0)),
    stat(
      'Peak memory',
      s.peaks.memory ? formatPct(s.peaks.memory.v) : '–',
      peakSub(s.peaks.memory, s.t0, memAtPeak !== undefined ? ` · ${formatBytes(memAtPeak)}` : ''),
    ),
    stat('Fullest disk', disk ? formatPct(disk.v) : '–', disk ? disk.label : 'no samples'),
    stat(
      'Peak temp size',
      s.peaks.temp ? formatBytes(s.peaks.temp.v) : '–',
      tempAtPeak ? `${tempAtPeak.files.toLocaleString('en-US')} files` : 'not tracked',
    ),
    stat(
      'Unmounted',
      t ? plural(t.unmounted.length, 'mount') : '–',
      t
        ? `${plural(t.signalled.length, 'process', 'processes')} signalled${t.detachedLoops.length ? ` · ${plural(t.detachedLoops.length, 'loop')}` : ''}`
        : 'no teardown',
    ),
    stat(
      'Deleted',
      r.clean ? formatBytes(s.deleted.bytes) : '–',
      r.clean ? `${plural(s.deleted.files, 'file')}${refused ? ` · ${refused} refused` : ''}` : 'no clean',
    ),
  ];
  const warnings = s.warnings.length
    ? `<ul class="warnings">${s.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
    : '';
  return `<section class="card">
<div class="hero"><div style="flex:1 1 520px;min-width:0">
<div class="eyebrow">isoswarm run report</div>
<h1>${esc(r.name || r.runId)}</h1>
<code class="cmd">${esc(shellJoin(r.command))}</code>
<p class="muted small" style="margin-top:8px">${meta.join(' · ')}</p>
</div><span class="badge tone-${OUTCOME_TONE[s.outcome]}">${esc(s.headline)}</span></div>
<div class="stats">${stats.join('')}</div>
<p class="summary-line"><strong>Teardown:</strong> ${esc(s.teardownText)}</p>
${warnings}
</section>`;
}

export function renderPhases(r: RunRecord, s: RunSummary): string {
  if (r.phases.length === 0)
    return `<section class="card"><h2>Phases</h2><p class="empty">No phases were recorded.</p></section>`;
  const span = Math.max(1, s.t1 - s.t0);
  const rows = r.phases.map((p) => {
    const a = epoch(p.startedAt) ?? s.t0;
    const b = epoch(p.endedAt) ?? s.t1;
    const left = Math.min(100, Math.max(0, ((a - s.t0) / span) * 100));
    const width = Math.min(100 - left, Math.max(0, ((b - a) / span) * 100));
    const tone = toneOf(p.status);
    const title = `${p.name}: ${formatTime(p.startedAt)} → ${p.endedAt ? formatTime(p.endedAt) : 'did not end'}`;
    return (
      `<div class="name">${esc(p.name)}</div>` +
      `<div class="track" title="${esc(title)}"><div class="bar tone-${tone}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></div></div>` +
      `<div class="dur mono small">${esc(p.endedAt ? formatDuration(b - a) : `${formatDuration(b - a)}+`)}</div>` +
      `<div>${chip(p.status, tone)}</div>`
    );
  });
  return `<section class="card"><h2>Phases</h2>
<div class="timeline">${rows.join('\n')}</div>
<p class="muted small" style="margin:10px 0 0">From ${esc(formatTime(s.t0))} to ${esc(formatTime(s.t1))}.</p>
</section>`;
}
