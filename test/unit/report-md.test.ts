// The Markdown report: tables stay tables whatever the paths contain, and every section is there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mdCode, mdText, renderMarkdown } from '../../src/report/render-md.js';
import { bareRecord, hostileRecord, realisticRecord } from '../helpers/report-fixture.js';

/** Cells of a GFM table row, honouring `\|` escapes. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every table in the text: its header width and the width of each row. */
function tables(md: string): { head: string[]; widths: number[] }[] {
  const out: { head: string[]; widths: number[] }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    if (!lines[i]!.startsWith('|') || !/^\| (-{3}|-{3}:)( \| (-{3}|-{3}:))* \|$/.test(lines[i + 1]!)) continue;
    const head = cells(lines[i]!);
    const widths: number[] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.startsWith('|'); j++) widths.push(cells(lines[j]!).length);
    out.push({ head, widths });
    i = j;
  }
  return out;
}

describe('renderMarkdown', () => {
  test('a realistic run: outcome, phases, resources with peaks, tuning, teardown in order, patterns', () => {
    const r = realisticRecord();
    const md = renderMarkdown(r);
    assert.ok(!/NaN|undefined|Infinity/.test(md));
    assert.match(md, /^# isoswarm run: debian-live bookworm amd64$/m);
    assert.match(md, /^\*\*Killed by SIGKILL\*\* · exit 137 \(SIGKILL\) · 5 min 0 s/m);
    for (const h of [
      '## Phases',
      '## Resources',
      '### Threshold events',
      '## Tuning',
      '## Teardown',
      '### Processes signalled (2)',
      '### Unmounted, in order (5)',
      '### Deleted by the Cleaner (partial)',
      '## Patterns updated',
      '## Notes',
    ]) {
      assert.ok(md.includes(`\n${h}\n`), h);
    }
    assert.match(md, /^\| CPU \| 100\.0 % \| \+3:55 \| /m);
    assert.match(md, /^\| Disk \/var\/lib\/isoswarm\/builds \| 89\.9 % /m);
    assert.match(md, /[▁▂▃▄▅▆▇█]{30,}/, 'a sparkline per metric');
    r.teardown!.unmounted.forEach((mp, i) => assert.ok(md.includes(`\n${i + 1}. \`${mp}\``), mp));
    assert.match(md, /^\| Time \| 1 min 1 s \| 57\.3 s \| −6\.1 % \|$/m);
    assert.match(md, /^\| `MKSQUASHFS_OPTS` \| `-comp zstd -Xcompression-level 9 -b 1M -processors 2` \|$/m);
    for (const k of r.patternsUpdated) assert.ok(md.includes(`- \`${k}\``), k);
    for (const t of tables(md)) for (const w of t.widths) assert.equal(w, t.head.length, `table ${t.head.join(',')}`);
  });

  test('hostile text keeps every table intact and produces no raw HTML', () => {
    const md = renderMarkdown(hostileRecord());
    const ts = tables(md);
    assert.ok(ts.length >= 6, `${ts.length} tables`);
    for (const t of ts) for (const w of t.widths) assert.equal(w, t.head.length, `table ${t.head.join(',')}`);
    // Outside code spans and fences, < and > are escaped.
    const prose = md
      .replace(/^> /gm, '')
      .replace(/^```+sh\n[\s\S]*?\n```+$/m, '')
      .replace(/(`+)[\s\S]*?\1/g, '');
    assert.ok(!/(?<!\\)[<>]/.test(prose), 'unescaped angle bracket outside code');
  });

  test('no samples, no teardown: short sentences instead of empty tables', () => {
    const md = renderMarkdown(bareRecord());
    assert.match(md, /The Monitor recorded no samples for this run\./);
    assert.match(md, /No phases were recorded\./);
    assert.match(md, /nothing to tear down/);
    assert.match(md, /No tuning was applied/);
    assert.match(md, /^\*\*Succeeded\*\* · exit 0 · 400 ms/m);
  });

  test('mdText and mdCode', () => {
    assert.equal(mdText('a|b*c_d<e>&`f`\nnext'), 'a\\|b\\*c\\_d\\<e\\>\\&\\`f\\` next');
    assert.equal(mdCode('a|b'), '`a\\|b`');
    assert.equal(mdCode('a|b', false), '`a|b`');
    assert.equal(mdCode('x `y` z'), '``x `y` z``');
    assert.equal(mdCode('`edge'), '`` `edge ``');
  });
});
