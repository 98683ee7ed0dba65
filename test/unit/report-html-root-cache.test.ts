// The HTML report shows the run's root-cache lookups (hit with size and restore time, miss with the
// fields that differed from the nearest stored root), escaped, as the Markdown report does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtml } from '../../src/report/render-html.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { runRecordSchema } from '../../src/schemas/run-record.js';
import { realisticRecord } from '../helpers/report-fixture.js';

const FIXED = { generatedAt: new Date('2025-03-02T10:00:00Z') };
const at = '2025-03-02T09:00:00Z';

test('root-cache lookups: a hit and a miss, in the HTML as in the Markdown', () => {
  const r = runRecordSchema.parse({
    ...realisticRecord(),
    rootCache: [
      {
        key: '3f9c2a1b',
        at,
        target: '/srv/build/chroot',
        outcome: 'hit',
        reason: 'stored root matches <suite bookworm>',
        spec: null,
        nearest: null,
        restoreMs: 4200,
        bytes: 180e6,
      },
      {
        key: '77aa01',
        at,
        target: '/srv/build/chroot2',
        outcome: 'miss',
        reason: 'no stored root for this spec',
        spec: null,
        nearest: { key: '3f9c2a1b', differs: [{ field: 'variant', stored: 'minbase', now: 'buildd' }] },
      },
    ],
  });
  const html = renderHtml(r, FIXED);
  assert.match(html, /<h2>debootstrap calls \(through the root cache\)<\/h2>/);
  assert.match(html, /1 of 2 lookups hit/);
  assert.match(
    html,
    /<strong>hit<\/strong><\/td><td class="mono">\/srv\/build\/chroot<\/td><td class="mono">3f9c2a1b<\/td>/,
  );
  assert.match(html, /restored in 4\.20 s/);
  assert.match(html, /stored root matches &lt;suite bookworm&gt;/, 'reasons are escaped');
  assert.match(html, /<code>variant<\/code> \(stored &quot;minbase&quot;, now &quot;buildd&quot;\)/);
  assert.ok(!/<{7}|>{7}/.test(html), 'no merge leftovers in the page');
  const md = renderMarkdown(r);
  assert.match(md, /debootstrap calls \(through the root cache\)/);
});

test('no lookups, no section', () => {
  const html = renderHtml(realisticRecord(), FIXED);
  assert.ok(!html.includes('through the root cache'));
});
