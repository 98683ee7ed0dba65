// performance-improvements: the run comparison includes the bare-tool what-if where the sample
// measured it (the asked mksquashfs setting beside what ran), in the record and both report formats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bareWhatIf, formatWhatIf, withWhatIf } from '../../src/learning/bare-what-if.js';
import { compareRuns } from '../../src/learning/run-compare.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { renderHtml } from '../../src/report/render-html.js';
import { runRecordSchema, type RunRecord } from '../../src/schemas/run-record.js';
import { realisticRecord } from '../helpers/report-fixture.js';

const call = (askedMs: number | null, measured: number | null) => ({
  whatIf: { askedLabel: 'xz-b1M/p2', askedMs, askedBytes: 60 << 20, tunedMs: 4100, tunedBytes: 80 << 20, note: '' },
  predicted: { label: 'zstd-3-b512K/p2', buildMs: 4100, imageBytes: 80 << 20 },
  measured: measured === null ? null : { wallMs: measured, cpuMs: 7000, imageBytes: 81 << 20, exitCode: 0 },
});

test('the what-if: calls whose asked setting was sampled; measured time where there is one', () => {
  const w = bareWhatIf([call(285_000, 5000), call(null, 4000), call(10_000, null)]);
  assert.ok(w);
  assert.equal(w.calls.length, 2, 'a call whose asked setting was not sampled has no what-if');
  assert.equal(w.calls[0]?.ranMeasuredMs, 5000);
  assert.equal(w.calls[1]?.ranMeasuredMs, null);
  assert.equal(w.savedMs, 285_000 - 5000 + (10_000 - 4100));
  assert.equal(bareWhatIf([call(null, 1)]), null);
  assert.equal(bareWhatIf(undefined), null);
  const lines = formatWhatIf(w);
  assert.match(lines[0] ?? '', /the bare tool as asked .* 285\.9 s saved/);
  assert.match(
    lines[1] ?? '',
    /mksquashfs xz-b1M\/p2: predicted 285\.0 s, 60\.0 MiB; ran zstd-3-b512K\/p2: predicted 4\.1 s, measured 5\.0 s, 81\.0 MiB/,
  );
});

test('a first run gets a comparison for the what-if alone; a later run has both; both reports show it', () => {
  const w = bareWhatIf([call(285_000, 5000)]);
  const first = withWhatIf(null, w, 60_000);
  assert.equal(first?.earlierRuns, 0);
  assert.equal(first?.bareWhatIf?.savedMs, 280_000);
  assert.equal(withWhatIf(null, null, 1), null);
  const facts = {
    name: 'b',
    durationMs: 50_000,
    phases: { build: 40_000 },
    cacheHits: 3,
    tuning: 't',
    compressor: 'zstd',
    exitCode: 0,
  };
  const later = withWhatIf(
    compareRuns({ ...facts, runId: 'r2' }, [{ ...facts, runId: 'r1', durationMs: 90_000 }]),
    w,
    50_000,
  );
  assert.equal(later?.earlierRuns, 1);
  assert.equal(later?.bareWhatIf?.calls.length, 1);

  for (const c of [first, later]) {
    const r: RunRecord = runRecordSchema.parse({ ...realisticRecord(), comparison: c });
    assert.equal(r.comparison?.bareWhatIf?.savedMs, 280_000, 'the record keeps it');
    const md = renderMarkdown(r);
    assert.match(md, /## Compared with earlier runs/);
    assert.match(md, /the bare tool as asked \(predicted from the sample\) against what ran: 280\.0 s saved/);
    assert.match(md, /mksquashfs xz-b1M\/p2: predicted 285\.0 s/);
    const html = renderHtml(r);
    assert.match(html, /the bare tool as asked \(predicted from the sample\) against what ran: 280\.0 s saved/);
  }
  assert.match(
    renderMarkdown(runRecordSchema.parse({ ...realisticRecord(), comparison: first })),
    /no earlier successful run of/,
  );
});
