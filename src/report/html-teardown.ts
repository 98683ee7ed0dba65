// The teardown and clean part of the HTML report: who was signalled, what was unmounted and in which
// order, loops detached, what was deleted, and everything refused or left behind with its reason.
import type { RunClean, RunRecord, RunTeardown } from '../schemas/run-record.js';
import { epoch, esc, formatBytes, formatDuration } from './format.js';
import { chip } from './html-header.js';
import { plural } from './summary.js';
import { markPreMounts, type PreMountMarks } from './pre-mounts.js';
import { BEFORE_CHIP, renderPreMounts } from './html-pre-mounts.js';

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function signalsText(signals: { signal: string; at: string }[]): string {
  const first = epoch(signals[0]?.at);
  return signals
    .map((s, i) => {
      const t = epoch(s.at);
      return i === 0 || first === null || t === null ? s.signal : `${s.signal} after ${formatDuration(t - first)}`;
    })
    .join(' → ');
}

/** The Unmounter's ForeignMount is {mount, reason}; anything else is shown as JSON. */
function describeForeign(f: unknown): { where: string; reason: string } {
  const o = (f ?? {}) as { mount?: { mountPoint?: unknown; fsType?: unknown }; mountPoint?: unknown; reason?: unknown };
  const mp = o.mount?.mountPoint ?? o.mountPoint;
  if (typeof mp === 'string')
    return {
      where: `${mp}${typeof o.mount?.fsType === 'string' ? ` (${o.mount.fsType})` : ''}`,
      reason: typeof o.reason === 'string' ? o.reason : '',
    };
  return { where: JSON.stringify(f), reason: '' };
}

function foreignPoint(f: unknown): string | null {
  const mp = (f as { mount?: { mountPoint?: unknown } } | null)?.mount?.mountPoint;
  return typeof mp === 'string' ? mp : null;
}

function renderTeardownBody(t: RunTeardown, marks: PreMountMarks | null): string {
  const parts: string[] = [];
  parts.push(
    `<p>${chip(t.status)} ${t.target ? `<code>${esc(t.target)}</code>` : ''} <span class="muted">in ${esc(formatDuration(t.durationMs))}</span>${t.reason ? ` — ${esc(t.reason)}` : ''}</p>`,
  );

  parts.push(`<h3>Processes signalled (${t.signalled.length})</h3>`);
  parts.push(
    t.signalled.length
      ? table(
          ['PID', 'Process', 'Command line', 'Signals', 'Outcome'],
          t.signalled.map((p) => [
            `<span class="mono">${p.pid}</span>`,
            esc(p.comm),
            `<span class="mono">${esc(p.cmdline)}</span>`,
            esc(signalsText(p.signals)) || '<span class="muted">none</span>',
            chip(p.outcome) + (p.note ? `<div class="muted small">${esc(p.note)}</div>` : ''),
          ]),
        )
      : `<p class="empty">No process was running inside the chroot.</p>`,
  );

  parts.push(`<h3>Unmounted, in order (${t.unmounted.length})</h3>`);
  if (t.unmounted.length) {
    const items = t.unmounted.map((mp, i) => {
      const a = t.attempts?.find((x) => x.mountPoint === mp && x.ok);
      const how = a
        ? ` <span class="muted small">${esc(a.fsType)} · ${esc(a.strategy)} · ${esc(formatDuration(a.ms))}</span>`
        : '';
      return `<li><code>${esc(mp)}</code>${how}${marks?.unmountedWasBefore[i] ? ` ${BEFORE_CHIP}` : ''}</li>`;
    });
    parts.push(`<ol class="unmounts">${items.join('')}</ol>`);
  } else parts.push(`<p class="empty">Nothing was unmounted.</p>`);
  const failed = t.attempts?.filter((a) => !a.ok) ?? [];
  if (failed.length) {
    parts.push(
      `<details><summary>${esc(plural(failed.length, 'unmount attempt'))} failed before a later one worked or gave up</summary>`,
    );
    parts.push(
      table(
        ['Mount point', 'Strategy', 'Error'],
        failed.map((a) => [`<code>${esc(a.mountPoint)}</code>`, esc(a.strategy), esc(a.error ?? '')]),
      ),
    );
    parts.push('</details>');
  }

  if (t.detachedLoops.length) {
    parts.push(`<h3>Loop devices detached (${t.detachedLoops.length})</h3>`);
    parts.push(
      table(
        ['Device', 'Backing file', 'Result'],
        t.detachedLoops.map((l) => [
          `<code>${esc(l.device)}</code>`,
          l.backingFile ? `<code>${esc(l.backingFile)}</code>` : '<span class="muted">unknown</span>',
          chip(l.ok ? 'ok' : 'failed') + (l.error ? ` <span class="muted small">${esc(l.error)}</span>` : ''),
        ]),
      ),
    );
  }
  if (t.holders.length) {
    parts.push(`<h3>Held from outside the chroot (${t.holders.length}) — reported, never signalled</h3>`);
    parts.push(
      table(
        ['PID', 'Process', 'Command line'],
        t.holders.map((h) => [
          `<span class="mono">${h.pid}</span>`,
          esc(h.comm),
          `<span class="mono">${esc(h.cmdline)}</span>`,
        ]),
      ),
    );
  }
  const left = [
    ...t.foreign.map((f) => ({ ...describeForeign(f), kind: 'foreign', mp: foreignPoint(f) })),
    ...t.remaining.map((m) => ({
      where: `${m.mountPoint} (${m.fsType})`,
      reason: `source ${m.source}`,
      kind: 'remaining',
      mp: m.mountPoint,
    })),
  ];
  if (left.length) {
    parts.push(`<h3>Left mounted (${left.length})</h3>`);
    parts.push(
      table(
        ['Mount', 'Why', ''],
        left.map((l) => [
          `<code>${esc(l.where)}</code>`,
          esc(l.reason),
          chip(l.kind, 'warn') + (marks?.left.some((p) => p.mountPoint === l.mp) ? ` ${BEFORE_CHIP}` : ''),
        ]),
      ),
    );
  }
  if (t.usedLazy)
    parts.push(`<p>${chip('lazy unmount used', 'warn')} The tree may still be reachable; it was not deleted.</p>`);
  return parts.join('\n');
}

function renderCleanBody(c: RunClean): string {
  const rows = c.targets.map((t) => [
    `<code>${esc(t.path)}</code>`,
    chip(t.status),
    esc(formatBytes(t.deleted.bytes)),
    esc(`${t.deleted.files.toLocaleString('en-US')} / ${t.deleted.dirs.toLocaleString('en-US')}`),
    t.reason ? esc(t.reason) : '<span class="muted">–</span>',
  ]);
  return `<h3>Deleted by the Cleaner ${chip(c.status)}</h3>${rows.length ? table(['Path', 'Status', 'Bytes', 'Files / dirs', 'Reason'], rows, [2, 3]) : '<p class="empty">No targets.</p>'}`;
}

export function renderTeardown(r: RunRecord): string {
  const body: string[] = [];
  const marks = markPreMounts(r.checkpoint, r.teardown);
  if (r.teardown) body.push(renderTeardownBody(r.teardown, marks));
  if (r.chroot && (r.teardown || marks?.before.length)) body.push(renderPreMounts(marks));
  if (r.clean) body.push(renderCleanBody(r.clean));
  if (!body.length)
    body.push(
      `<p class="empty">${r.chroot ? 'No teardown was recorded for this run.' : 'The run had no chroot, so there was nothing to tear down.'}</p>`,
    );
  return `<section class="card"><h2>Teardown</h2>\n${body.join('\n')}</section>`;
}
