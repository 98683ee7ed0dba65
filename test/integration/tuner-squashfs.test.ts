// Real mksquashfs over generated trees of three kinds of data: the choice follows the data and the
// mode as documented in agents/performance-tuner/choose.ts, predictions match real full builds,
// and a second tune on the same host and tree takes the fast path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildSquashfs } from '../../src/host/squashfs/mksquashfs.js';
import { validateRecord } from '../../src/schemas/memory-records.js';
import { choose, type Mode } from '../../agents/performance-tuner/choose.js';
import { relativeError, type PredictedCandidate } from '../../agents/performance-tuner/predict.js';
import { tune, type TuneMemory, type TuneResult } from '../../agents/performance-tuner/tune.js';
import { makeTree, type TreeKind } from './tuner-trees.js';

const TREE_BYTES = 24 << 20;
// This host is shared: runs under 1.5 s are repeated and the best kept, on both sides of the
// comparison, so that another process's burst does not decide the outcome.
const REPEAT_BELOW_MS = 1500;
const KINDS: TreeKind[] = ['text', 'binary', 'compressed'];
const MODES: Mode[] = ['conservative', 'aggressive', 'auto'];

function mapMemory(): TuneMemory & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: (k) => map.get(k), set: (k, v) => void map.set(k, structuredClone(v)) };
}

let scratch = '';
const trees = new Map<TreeKind, string>();
const tuned = new Map<TreeKind, TuneResult>();
const memories = new Map<TreeKind, ReturnType<typeof mapMemory>>();

before(() => {
  scratch = mkdtempSync('/tmp/isoswarm-test-tuner-');
  for (const k of KINDS) {
    const dir = join(scratch, k);
    makeTree(dir, k, TREE_BYTES, 11);
    trees.set(k, dir);
  }
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function pick(r: TuneResult, mode: Mode): PredictedCandidate {
  const label = choose(r.candidates, mode).label;
  return r.candidates.find((c) => c.label === label) as PredictedCandidate;
}

describe('tune on generated trees (real mksquashfs)', () => {
  for (const kind of KINDS) {
    test(`measures every candidate on a sample of the ${kind} tree and remembers the evidence`, async () => {
      const memory = mapMemory();
      memories.set(kind, memory);
      const r = await tune(
        {
          target: trees.get(kind) as string,
          mode: 'conservative',
          scratchParent: scratch,
          repeatBelowMs: REPEAT_BELOW_MS,
        },
        memory,
      );
      tuned.set(kind, r);
      assert.equal(r.fastPath, false);
      // Every candidate was either measured or ruled out by a measurement, with the reason.
      const pruned = r.record.pruned;
      assert.ok(r.candidates.length + pruned.length >= 8, 'all candidates accounted for');
      assert.ok(r.candidates.length >= 6, 'most candidates measured');
      for (const p of pruned) assert.ok(p.reason.length > 10, `${p.label} pruned with a reason`);
      for (const c of r.candidates) {
        assert.ok(c.run.wallMs > 0 && c.run.imageBytes > 0, `${c.label} really ran`);
        assert.ok(c.run.sampleBytes < TREE_BYTES / 2, `${c.label} ran on a sample, not the tree`);
      }
      const stored = memory.map.get(r.key);
      assert.ok(stored, 'record stored under the fingerprint key');
      assert.match(r.key, /^optimization\/parallel-config\/[0-9a-f]{12}$/);
      assert.deepEqual(validateRecord(r.key, stored), { ok: true });
      assert.match(r.exports, /^export MKSQUASHFS_OPTS='-comp /m);
    });
  }

  test('the choice follows the data and the mode as documented', () => {
    const text = tuned.get('text') as TuneResult;
    const comp = tuned.get('compressed') as TuneResult;
    const bin = tuned.get('binary') as TuneResult;
    for (const r of [text, comp, bin]) {
      const smallest = Math.min(...r.candidates.map((c) => c.predicted.imageBytes));
      const cons = pick(r, 'conservative');
      assert.ok(cons.predicted.imageBytes <= smallest * 1.005, 'conservative: smallest predicted image (0.5 % tie)');
      const aggr = pick(r, 'aggressive');
      assert.ok(aggr.predicted.imageBytes <= smallest * 1.25, 'aggressive: within +25 % of the smallest');
      const faster = r.candidates.filter(
        (c) => c.predicted.imageBytes <= (smallest * 1.25) / 1.03 && c.predicted.buildMs < aggr.predicted.buildMs,
      );
      assert.deepEqual(
        faster.map((c) => c.label),
        [],
        'aggressive: nothing eligible is faster',
      );
    }
    // Text compresses far better with xz-class compressors: conservative pays for them.
    assert.match(pick(text, 'conservative').label, /^(xz|zstd-19)/);
    // Already-compressed data ties on size, so conservative takes a fast compressor instead.
    assert.doesNotMatch(pick(comp, 'conservative').label, /^xz/);
    assert.notEqual(pick(comp, 'conservative').label, pick(text, 'conservative').label);
    // On text the modes disagree: the smallest image is not the fastest acceptable one.
    assert.notEqual(pick(text, 'conservative').label, pick(text, 'aggressive').label);
    const aggrText = pick(text, 'aggressive');
    const consText = pick(text, 'conservative');
    assert.ok(
      aggrText.predicted.buildMs * 3 < consText.predicted.buildMs,
      'aggressive is several times faster on text',
    );
  });

  test('predictions match the median of three real full builds (size 25 %, CPU time within 2x; wall time 25 % when the host is quiet)', async (t) => {
    const checked = new Set<string>();
    for (const kind of KINDS) {
      const r = tuned.get(kind) as TuneResult;
      for (const mode of MODES) {
        const c = pick(r, mode);
        const id = `${kind}/${c.label}`;
        if (checked.has(id)) continue;
        checked.add(id);
        const img = join(scratch, 'full.img');
        const load0 = loadavg()[0] as number;
        // The median of three full builds: one build's CPU time swings by a third on a busy 2-core host.
        const builds = [];
        for (let i = 0; i < 3; i++) builds.push(await buildSquashfs(trees.get(kind) as string, img, c.choice));
        const median = (xs: number[]): number => xs.sort((a, b) => a - b)[1] as number;
        const full = {
          ...builds[0]!,
          wallMs: median(builds.map((b) => b.wallMs)),
          cpuMs: median(builds.map((b) => b.cpuMs ?? NaN)),
        };
        rmSync(img, { force: true });
        const load1 = loadavg()[0] as number;
        const sizeErr = relativeError(c.predicted.imageBytes, full.imageBytes);
        t.diagnostic(
          `${id} (${mode}): size ${c.predicted.imageBytes}/${full.imageBytes} (${(sizeErr * 100).toFixed(1)} %), ` +
            `cpu ${c.predicted.cpuMs}/${full.cpuMs} ms, wall ${c.predicted.buildMs}/${Math.round(full.wallMs)} ms, load ${load0.toFixed(1)}/${load1.toFixed(1)}`,
        );
        assert.ok(sizeErr <= 0.25, `${id}: image size predicted within 25 %`);
        assert.ok(c.predicted.cpuMs !== null && full.cpuMs !== null, 'CPU time measured');
        // For sub-second builds the clock's granularity and process start dominate (a 272 ms build
        // was predicted at 404 ms with both cores loaded): compare absolute, within 150 ms, then.
        // Within a factor of 2 here: the sample and the full builds run at whatever load the other
        // test files make, and a multi-threaded xz build's own CPU time moves with it (the same
        // build: 10.3 s and 14.5-16.4 s of CPU in different runs; the prediction 37 % under and 59 %
        // over). This catches a wrong scaling; the 25 % target on a quiet host is
        // bench/tuner-bench's to show.
        const ratio = c.predicted.cpuMs / Math.max(1, full.cpuMs);
        assert.ok(
          Math.abs(c.predicted.cpuMs - full.cpuMs) <= 150 || (ratio >= 0.5 && ratio <= 2),
          `${id}: CPU time predicted within a factor of 2 (${c.predicted.cpuMs} vs ${full.cpuMs})`,
        );
        const quiet = Math.max(load0, load1) < 1.5;
        if (quiet && full.wallMs >= 1000) {
          assert.ok(relativeError(c.predicted.buildMs, full.wallMs) <= 0.25, `${id}: wall time predicted within 25 %`);
        }
      }
    }
    assert.ok(checked.size >= 4, 'several distinct choices were built for real');
  });

  test('a second tune on the same host and tree takes the fast path in <= 10 % of the first', async () => {
    const first = tuned.get('text') as TuneResult;
    const memory = memories.get('text') as ReturnType<typeof mapMemory>;
    const again = await tune(
      { target: trees.get('text') as string, mode: 'aggressive', scratchParent: scratch },
      memory,
    );
    assert.equal(again.fastPath, true, again.reuse.reason);
    assert.ok(
      again.durationMs <= first.durationMs * 0.1,
      `fast path ${again.durationMs} ms vs first ${first.durationMs} ms`,
    );
    // The stored evidence answers any mode without measuring again: the same sample runs, and the
    // choice made from them by the same rule. Their wall times are re-read at this moment's load, so
    // the processor count (or, near a tie, the setting) may differ from the first tune's choice.
    assert.deepEqual(
      again.candidates.map((c) => [c.label, c.run]),
      first.candidates.map((c) => [c.label, c.run]),
    );
    assert.equal(again.choice.label, choose(again.candidates, 'aggressive').label);
    // Another tree on the same host is not "similar": it is measured, not guessed.
    const other = await tune(
      {
        target: trees.get('compressed') as string,
        mode: 'aggressive',
        scratchParent: scratch,
        limits: { maxBytes: 4 << 20 },
      },
      memory,
    );
    assert.equal(other.fastPath, false);
    assert.match(other.reuse.reason, /changed materially/);
  });

  test('an empty tree and a memory that is down still get an answer (the learning is what is lost)', async () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const down: TuneMemory = {
      get: () => Promise.reject(new Error('no responders')),
      set: () => {
        throw new Error('no responders');
      },
    };
    const r = await tune({ target: empty, mode: 'auto', scratchParent: scratch }, down);
    assert.equal(r.fastPath, false);
    assert.equal(r.stored, false);
    assert.match(r.memoryError ?? '', /no responders/);
    assert.match(r.exports, /MKSQUASHFS_OPTS/);
  });
});
