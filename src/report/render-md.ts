// Over 250 lines on purpose: one section per part of the run record, in the order the report shows them.
// A run record as Markdown (GitHub flavoured, with tables): for terminals, issues and chat.
// Untrusted text is escaped so that a path like `a|b<c>*d*` shows as itself and keeps tables intact.
import type { RunRecord, RunTeardown } from '../schemas/run-record.js';
import {
  epoch,
  formatBytes,
  formatChange,
  formatDuration,
  formatOffset,
  formatPct,
  formatTime,
  shellJoin,
} from './format.js';
import { peakOf, pointCount, sparkline, type Series } from './series.js';
import { summarize, type RunSummary } from './summary.js';
import { renderComparisonMd } from './comparison.js';
import { squashfsCallsMd } from './md-squashfs.js';
import { stagesMd } from './md-stages.js';
import { rootCacheMd } from './md-root-cache.js';
import { builderCachesMd } from './builder-caches.js';
import { markPreMounts, type PreMountMarks } from './pre-mounts.js';
import { BEFORE_MARK, preMountsMd } from './md-pre-mounts.js';

/** Plain text: Markdown punctuation backslash-escaped, newlines folded, `|` safe inside tables. */
export function mdText(v: unknown): string {
  return String(v)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|&~]/g, (c) => `\\${c}`);
}

/** A code span that survives backticks in the text; inside a table `|` must still be escaped (GFM). */
export function mdCode(v: unknown, inTable = true): string {
  let s = String(v).replace(/\r?\n|\r/g, ' ');
  if (inTable) s = s.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s.length === 0 ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

function table(head: string[], rows: string[][], right: number[] = []): string {
  const sep = head.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function resourceRows(s: RunSummary): string[][] {
  const rows: string[][] = [];
  const add = (name: string, series: Series, fmt: (n: number) => string, max?: number): void => {
    const p = peakOf(series);
    if (!p) return;
    const pts = series.segments.flat();
    const mean = pts.reduce((a, b) => a + b.v, 0) / pts.length;
    rows.push([mdText(name), fmt(p.v), `+${formatOffset(p.t - s.t0)}`, fmt(mean), sparkline(series, 40, max)]);
  };
  add('CPU', s.charts.cpu, (n) => formatPct(n), 100);
  add('Memory', s.charts.memory, (n) => formatPct(n), 100);
  for (const d of s.charts.disks) add(`Disk ${d.label}`, d, (n) => formatPct(n), 100);
  if (pointCount(s.charts.temp)) add(`Temp ${s.charts.temp.label}`, s.charts.temp, formatBytes);
  add('Build tree RSS', s.charts.rss, formatBytes);
  return rows;
}

function teardownMd(t: RunTeardown, marks: PreMountMarks | null): string[] {
  const out: string[] = [];
  out.push(
    `Status **${mdText(t.status)}**${t.target ? ` for ${mdCode(t.target, false)}` : ''} in ${formatDuration(t.durationMs)}${t.reason ? ` — ${mdText(t.reason)}` : ''}.`,
    '',
  );
  out.push(`### Processes signalled (${t.signalled.length})`, '');
  if (t.signalled.length) {
    out.push(
      table(
        ['PID', 'Process', 'Command line', 'Signals', 'Outcome'],
        t.signalled.map((p) => [
          String(p.pid),
          mdText(p.comm),
          mdCode(p.cmdline),
          mdText(p.signals.map((x) => x.signal).join(' → ') || 'none'),
          mdText(p.outcome + (p.note ? ` (${p.note})` : '')),
        ]),
      ),
      '',
    );
  } else out.push('No process was running inside the chroot.', '');
  out.push(`### Unmounted, in order (${t.unmounted.length})`, '');
  if (t.unmounted.length) {
    t.unmounted.forEach((mp, i) => {
      const a = t.attempts?.find((x) => x.mountPoint === mp && x.ok);
      out.push(
        `${i + 1}. ${mdCode(mp, false)}${a ? ` — ${mdText(a.fsType)}, ${mdText(a.strategy)}, ${formatDuration(a.ms)}` : ''}${marks?.unmountedWasBefore[i] ? ` ${BEFORE_MARK}` : ''}`,
      );
    });
    out.push('');
  } else out.push('Nothing was unmounted.', '');
  if (t.detachedLoops.length) {
    out.push(`### Loop devices detached (${t.detachedLoops.length})`, '');
    out.push(
      table(
        ['Device', 'Backing file', 'Result'],
        t.detachedLoops.map((l) => [
          mdCode(l.device),
          l.backingFile ? mdCode(l.backingFile) : 'unknown',
          l.ok ? 'ok' : `failed${l.error ? `: ${mdText(l.error)}` : ''}`,
        ]),
      ),
      '',
    );
  }
  if (t.holders.length) {
    out.push(`### Held from outside the chroot (${t.holders.length}) — reported, never signalled`, '');
    out.push(
      table(
        ['PID', 'Process', 'Command line'],
        t.holders.map((h) => [String(h.pid), mdText(h.comm), mdCode(h.cmdline)]),
      ),
      '',
    );
  }
  const left = [
    ...t.foreign.map((f) => ['foreign', mdCode(JSON.stringify(f))]),
    ...t.remaining.map((m) => [
      'remaining',
      `${mdCode(m.mountPoint)} (${mdText(m.fsType)}, source ${mdCode(m.source)})`,
    ]),
  ];
  if (left.length) out.push(`### Left mounted (${left.length})`, '', table(['Kind', 'Mount'], left), '');
  if (t.usedLazy)
    out.push('**A lazy unmount was used as a last resort**: the tree may still be reachable and was not deleted.', '');
  return out;
}

export function renderMarkdown(r: RunRecord): string {
  const s = summarize(r);
  const out: string[] = [];
  out.push(`# isoswarm run: ${mdText(r.name || r.runId)}`, '');
  out.push(
    `**${mdText(s.headline)}** · exit ${mdText(s.exitText)} · ${formatDuration(s.durationMs)} · started ${formatTime(r.startedAt)}`,
    '',
  );
  const fence = '`'.repeat(Math.max(3, ...(shellJoin(r.command).match(/`+/g) ?? []).map((m) => m.length + 1)));
  out.push(`${fence}sh`, shellJoin(r.command), fence, '');
  out.push(
    table(
      ['', ''],
      [
        ['Run', mdCode(r.runId)],
        ...(r.host ? [['Host', mdText(r.host)]] : []),
        ['Chroot', r.chroot ? mdCode(r.chroot) : 'none'],
        ['Isolated', r.isolate ? 'yes (private mount namespace)' : 'no'],
        ['Ended', formatTime(r.endedAt)],
        ['Teardown', mdText(s.teardownText)],
      ],
    ),
    '',
  );
  for (const w of s.warnings) out.push(`> **Warning:** ${mdText(w)}`, '');

  out.push('## Phases', '');
  if (r.phases.length) {
    const rows = r.phases.map((p) => {
      const a = epoch(p.startedAt);
      const b = epoch(p.endedAt) ?? s.t1;
      return [
        mdText(p.name),
        a === null ? mdText(p.startedAt) : `+${formatOffset(a - s.t0)}`,
        a === null ? '–' : formatDuration(b - a) + (p.endedAt ? '' : '+'),
        mdText(p.status),
      ];
    });
    out.push(table(['Phase', 'Start', 'Duration', 'Status'], rows, [2]), '');
  } else out.push('No phases were recorded.', '');
  out.push(...renderComparisonMd(r, mdText));

  out.push(...stagesMd(r.stages, mdText, table), ...builderCachesMd(r, mdText));
  out.push('## Resources', '');
  const rows = resourceRows(s);
  if (rows.length) {
    out.push(`${r.samples.length} samples over ${formatOffset(s.t1 - s.t0)} (m:ss).`, '');
    out.push(table(['Metric', 'Peak', 'At', 'Mean', 'Over time'], rows, [1, 3]), '');
  } else out.push('The Monitor recorded no samples for this run.', '');
  if (r.events.length) {
    out.push('### Threshold events', '');
    const ev = r.events.map((e) => {
      const fmt = e.metric === 'temp' ? formatBytes : (n: number) => formatPct(n);
      return [
        `+${formatOffset(e.at - s.t0)}`,
        e.kind === 'alert' ? mdText(e.level) : 'recovery',
        mdText(e.metric),
        mdCode(e.subject),
        fmt(e.value),
        fmt(e.threshold),
      ];
    });
    out.push(table(['When', 'Event', 'Metric', 'Subject', 'Value', 'Threshold'], ev, [4, 5]), '');
  }

  out.push('## Tuning', '');
  if (r.tuning) {
    const env = Object.entries(r.tuning.applied);
    out.push(
      env.length
        ? table(
            ['Variable', 'Value'],
            env.map(([k, v]) => [mdCode(k), mdCode(v)]),
          )
        : 'Nothing was exported.',
      '',
    );
    const { predicted: p, measured: m } = r.tuning;
    if (p && m) {
      out.push(
        table(
          ['', 'Predicted', 'Measured', 'Change'],
          [
            ['Time', formatDuration(p.timeMs), formatDuration(m.timeMs), formatChange(p.timeMs, m.timeMs)],
            ['Size', formatBytes(p.sizeBytes), formatBytes(m.sizeBytes), formatChange(p.sizeBytes, m.sizeBytes)],
          ],
          [1, 2, 3],
        ),
        '',
      );
    }
    if (r.tuning.choice !== undefined) out.push(`Choice: ${mdCode(JSON.stringify(r.tuning.choice), false)}`, '');
  } else out.push('No tuning was applied to this run.', '');
  out.push(...squashfsCallsMd((r as Record<string, unknown>).squashfsCalls, (v) => mdCode(v), mdText));
  out.push(...rootCacheMd(r.rootCache, (v) => mdCode(v), mdText));

  out.push('## Teardown', '');
  const marks = markPreMounts(r.checkpoint, r.teardown);
  if (r.teardown) out.push(...teardownMd(r.teardown, marks));
  if (r.chroot && (r.teardown || marks?.before.length)) out.push(...preMountsMd(marks, (v) => mdCode(v, false)));
  if (r.clean) {
    out.push(`### Deleted by the Cleaner (${mdText(r.clean.status)})`, '');
    const rows = r.clean.targets.map((t) => [
      mdCode(t.path),
      mdText(t.status),
      formatBytes(t.deleted.bytes),
      String(t.deleted.files),
      String(t.deleted.dirs),
      t.reason ? mdText(t.reason) : '–',
    ]);
    out.push(
      rows.length ? table(['Path', 'Status', 'Bytes', 'Files', 'Dirs', 'Reason'], rows, [2, 3, 4]) : 'No targets.',
      '',
    );
  }
  if (!r.teardown && !r.clean)
    out.push(
      r.chroot ? 'No teardown was recorded for this run.' : 'The run had no chroot, so there was nothing to tear down.',
      '',
    );

  out.push('## Patterns updated', '');
  out.push(
    r.patternsUpdated.length
      ? r.patternsUpdated.map((k) => `- ${mdCode(k, false)}`).join('\n')
      : 'No patterns were updated.',
    '',
  );
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${mdText(n)}`), '');
  return out.join('\n');
}
