// The HTML report: self-contained, every text escaped, charts drawn for 0, 1, 300 and 20,000 samples.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderHtml } from '../../src/report/render-html.js';
import { COLORS } from '../../src/report/series.js';
import { EVENT_COLORS } from '../../src/report/svg-chart.js';
import { runRecordSchema } from '../../src/schemas/run-record.js';
import { bareRecord, hostileRecord, realisticRecord } from '../helpers/report-fixture.js';

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;
const FIXED = { generatedAt: new Date('2025-03-02T10:00:00Z') };

/** Points of every polyline, as numbers. */
function polylines(html: string): { stroke: string; points: [number, number][] }[] {
  return [...html.matchAll(/<polyline class="line" points="([^"]*)" fill="none" stroke="(#[0-9a-f]{6})"/g)].map(
    (m) => ({
      stroke: m[2]!,
      points: m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]),
    }),
  );
}

function assertNoJunk(html: string): void {
  for (const bad of ['NaN', 'undefined', 'Infinity', '[object Object]'])
    assert.ok(!html.includes(bad), `output contains "${bad}"`);
}

describe('renderHtml', () => {
  test('a realistic run: every chart drawn, peaks and threshold events marked', () => {
    const r = realisticRecord();
    const html = renderHtml(r, FIXED);
    assertNoJunk(html);
    // CPU, memory, 2 disks, temp, RSS, written: one polyline each (no gaps in the fixture).
    const lines = polylines(html);
    assert.equal(lines.length, 7);
    assert.deepEqual(
      lines.map((l) => l.stroke).sort(),
      [COLORS.cpu, COLORS.memory, COLORS.disks[0], COLORS.disks[1], COLORS.temp, COLORS.rss, COLORS.written].sort(),
    );
    for (const l of lines) assert.ok(l.points.length >= 250, `${l.stroke} has ${l.points.length} points`);
    assert.equal(count(html, /<svg class="chart"/g), 5, 'CPU, memory, disk, temp, build tree');
    assert.equal(count(html, /<path class="area"/g), 3, 'single-series charts are filled');
    assert.equal(count(html, /<g class="peak">/g), 7);
    assert.match(html, /peak 100 %/);
    // Three threshold events (disk warning, memory warning and recovery), each a dashed line.
    assert.equal(count(html, /<g class="event">/g), r.events.length);
    assert.equal(r.events.length, 3);
    assert.ok(html.includes(`stroke="${EVENT_COLORS.recovery}"`));
    assert.ok(html.includes(`stroke="${EVENT_COLORS.warning}"`));
    // The threshold crossed is drawn as a line with its level.
    assert.match(html, /<text class="threshold-label"[^>]*>warning 85 %<\/text>/);
    assert.match(html, /<text class="threshold-label"[^>]*>warning 90 %<\/text>/);
    // Phase bands behind the charts, labelled.
    assert.ok(count(html, /<rect class="band band-/g) >= 5 * 4);
    assert.match(html, /<text class="band-label"[^>]*>mksquashfs<\/text>/);
  });

  test('the outcome, tuning, teardown order, clean and patterns are in the page', () => {
    const r = realisticRecord();
    const html = renderHtml(r, FIXED);
    assert.match(html, /<span class="badge tone-bad">Killed by SIGKILL<\/span>/);
    assert.match(html, /<div class="v">137<\/div>/);
    assert.match(html, /<div class="v">5 min 0 s<\/div>/);
    for (const k of Object.keys(r.tuning!.applied)) assert.ok(html.includes(`>${k}</td>`), k);
    assert.match(html, /57\.3 s<\/strong> <span class="muted">−6\.1 %<\/span>/);
    // Unmounted in the recorded order.
    const order = [...html.matchAll(/<li><code>([^<]+)<\/code> <span class="muted small">/g)].map((m) => m[1]);
    assert.deepEqual(order, r.teardown!.unmounted);
    assert.match(html, /retry-after-kill/);
    assert.match(html, /SIGTERM → SIGKILL after 5\.00 s/);
    assert.match(html, /\/dev\/loop3/);
    assert.match(html, /reported, never signalled/);
    assert.match(html, /outside the safe prefixes \(a host cache\)/);
    assert.match(html, /<span class="chip tone-warn" title="refused">refused<\/span>/);
    for (const k of r.patternsUpdated) assert.ok(html.includes(`<code>${k}</code>`), k);
  });

  test('self-contained: no scripts, no external resources, a CSP that forbids loading anything', () => {
    const html = renderHtml(realisticRecord(), FIXED);
    assert.ok(!/<script/i.test(html));
    assert.ok(!/<link/i.test(html));
    assert.ok(!/@import|url\(/i.test(html));
    assert.ok(!/\ssrc=/i.test(html));
    const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], 'only the SVG namespace');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
    assert.match(html, /prefers-color-scheme: dark/);
  });

  test('escapes every text field: nothing from the record becomes markup', () => {
    const html = renderHtml(hostileRecord(), FIXED);
    assertNoJunk(html);
    assert.ok(!/<script/i.test(html), 'no script element');
    assert.ok(!/<img/i.test(html), 'no img element');
    const docTitle = /<head>[\s\S]*?<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
    assert.ok(docTitle.startsWith('&lt;/title&gt;&lt;script&gt;'), `document title: ${docTitle}`);
    assert.equal(count(html, /<title>/g), count(html, /<\/title>/g));
    assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(html.includes('/mnt/&lt;disk&gt;&quot;&amp;&#39;'));
    assert.ok(html.includes('/tmp/&lt;chroot&gt; &amp; &quot;x&quot;'));
    // Attribute values stay quoted: every `="` opens a value that ends before the next tag.
    for (const m of html.matchAll(/<[a-z]+\s[^>]*>/g)) {
      const quotes = count(m[0], /"/g);
      assert.equal(quotes % 2, 0, `unbalanced quotes in ${m[0].slice(0, 120)}`);
    }
    // The element structure is exactly that of a harmless record of the same shape.
    const tags = (h: string): string[] => [...h.matchAll(/<\/?([a-z][a-z0-9]*)/g)].map((m) => m[1]!);
    const tagSet = new Set(tags(html));
    for (const t of tagSet)
      assert.ok(
        [
          'html',
          'head',
          'meta',
          'title',
          'style',
          'body',
          'main',
          'section',
          'div',
          'h1',
          'h2',
          'h3',
          'code',
          'p',
          'span',
          'ul',
          'ol',
          'li',
          'svg',
          'rect',
          'text',
          'line',
          'polyline',
          'path',
          'circle',
          'g',
          'table',
          'thead',
          'tbody',
          'tr',
          'th',
          'td',
          'strong',
          'details',
          'summary',
          'pre',
          'footer',
        ].includes(t),
        `unexpected <${t}>`,
      );
  });

  test('no samples: no charts, a plain sentence instead, and the rest of the report', () => {
    const html = renderHtml(bareRecord(), FIXED);
    assertNoJunk(html);
    assert.equal(count(html, /<polyline/g), 0);
    assert.equal(count(html, /<svg/g), 0);
    assert.match(html, /The Monitor recorded no samples for this run/);
    assert.match(html, /No phases were recorded/);
    assert.match(html, /nothing to tear down/);
    assert.match(html, /<span class="badge tone-ok">Succeeded<\/span>/);
  });

  test('one sample: a dot per series instead of a line, no peak labels, finite coordinates', () => {
    const r = realisticRecord({ samples: 1 });
    const html = renderHtml(r, FIXED);
    assertNoJunk(html);
    assert.equal(count(html, /<polyline/g), 0);
    assert.equal(count(html, /<circle class="dot"/g), 7);
    assert.equal(count(html, /<g class="peak">/g), 0);
    assert.match(html, /1 sample over/);
  });

  test('20,000 samples draw as at most ~800 points per line and keep the spike', () => {
    const r = realisticRecord({ samples: 20_000 });
    // A single one-second spike in the middle of a quiet stretch must survive downsampling.
    const i = 3013; // not on any regular stride: only min/max bucketing keeps it
    r.samples[i] = { ...r.samples[i]!, cpuPct: 99.5 };
    const t = performance.now();
    const html = renderHtml(r, FIXED);
    const ms = performance.now() - t;
    assertNoJunk(html);
    assert.ok(ms < 3000, `rendering took ${ms} ms`);
    assert.ok(html.length < 1_500_000, `output is ${html.length} bytes`);
    const lines = polylines(html);
    assert.equal(lines.length, 7);
    for (const l of lines)
      assert.ok(l.points.length <= 800 && l.points.length >= 400, `${l.stroke}: ${l.points.length} points`);
    const cpu = lines.find((l) => l.stroke === COLORS.cpu)!;
    // The plot runs from x=62 to x=862 over the run (startedAt to endedAt, 20,000 s); 99.5 % is near y=37.
    const spikeX = 62 + (800 * i) / 20_000;
    assert.ok(
      cpu.points.some(([x, y]) => Math.abs(x - spikeX) < 1 && y < 45),
      'the one-sample spike is drawn',
    );
  });

  test('gaps: a disk that was not measured for a while splits its line', () => {
    const r = realisticRecord({ samples: 60 });
    const samples = r.samples.map((s, i) => (i >= 20 && i < 30 ? { ...s, disks: s.disks.slice(0, 1) } : s));
    const html = renderHtml(runRecordSchema.parse({ ...r, samples }), FIXED);
    const pink = polylines(html).filter((l) => l.stroke === COLORS.disks[1]);
    assert.equal(pink.length, 2);
  });
});
