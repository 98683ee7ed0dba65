// The farm's merge rules (docs/farm.md): counts add, the newest measurement wins, host-specific
// records stay keyed by host; and a member's ledger in a real LMDB: records learned before joining
// are merged, not replaced, a contribution is a whole value (copying it twice adds nothing), and the
// merged record does not depend on the order contributions arrive in.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { kvKeyOf, memKeyOf } from '../../src/farm/kv-keys.js';
import { FarmLedger } from '../../src/farm/ledger.js';
import { mergeContributions } from '../../src/farm/record-merge.js';
import { applyEvent, MemoryOps } from '../../src/memory/operations.js';
import { MemoryStore } from '../../src/memory/store.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import { removeScratch, scratchHome } from '../helpers/cli.js';

const KEY = 'optimization/caching-effectiveness/apt-archives';
const use = (hits: number): LearningEvent => ({
  kind: 'cache-use',
  cache: 'apt-archives',
  hits,
  misses: 1,
  bytesSaved: 10,
  bytesDownloaded: 0,
  evicted: 0,
  sizeBytes: 0,
  limitBytes: 0,
  tracking: 'lookup',
});
const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
const fold = (events: LearningEvent[], t0: number) =>
  events.reduce<unknown>((v, e, i) => applyEvent(v, e, at(t0 + i)), undefined);
type Counts = { hits: number; misses: number; builds: number; hitRate: number };
const counts = (v: unknown) => {
  const r = v as Counts;
  return { hits: r.hits, misses: r.misses, builds: r.builds, hitRate: r.hitRate };
};

describe('farm merge rules', () => {
  test('counts add across contributions; the rate is recomputed from the sums', () => {
    const a = fold([use(2), use(3)], 1);
    const b = fold([use(5)], 10);
    assert.deepEqual(counts(mergeContributions(KEY, [a, b])), { hits: 10, misses: 3, builds: 3, hitRate: 10 / 13 });
    assert.equal(mergeContributions(KEY, [a]), a, 'one contribution is the record itself');
  });

  test('cleanup, unmount and summary records: counts add, recent items are the newest of all', () => {
    const clean = (status: 'done' | 'failed', s: number): LearningEvent => ({
      kind: 'cleanup-outcome',
      target: '/srv/b',
      status,
      bytesFreed: 100,
      durationMs: s,
    });
    const key = 'optimization/cleanup-success/srv/b';
    const m = mergeContributions(key, [
      fold([clean('done', 1), clean('done', 2)], 1),
      fold([clean('failed', 3)], 20),
    ]) as {
      runs: number;
      successes: number;
      failures: number;
      bytesFreed: number;
      lastStatus: string;
      recent: { at: string }[];
    };
    assert.deepEqual([m.runs, m.successes, m.failures, m.bytesFreed, m.lastStatus], [3, 2, 1, 300, 'failed']);
    assert.deepEqual(
      m.recent.map((r) => r.at),
      [at(1), at(2), at(20)],
    );
    const um = (ok: boolean): LearningEvent => ({
      kind: 'unmount-attempt',
      fsType: 'proc',
      strategy: 'lazy',
      ok,
      ms: 5,
    });
    const u = mergeContributions('optimization/unmount-strategies/proc', [
      fold([um(true)], 1),
      fold([um(false), um(true)], 5),
    ]) as {
      strategies: Record<string, { attempts: number; successes: number; totalMs: number; lastAt: string }>;
    };
    assert.deepEqual(
      { ...u.strategies.lazy, rate: undefined, avgMs: undefined, idle: undefined, lastOk: undefined },
      {
        attempts: 3,
        successes: 2,
        totalMs: 15,
        lastAt: at(6),
        rate: undefined,
        avgMs: undefined,
        idle: undefined,
        lastOk: undefined,
      },
    );
    const sum = (n: number): LearningEvent => ({
      kind: 'summary',
      name: 'cleanup-procedures',
      entry: { n },
      counts: { runs: 1 },
    });
    const s = mergeContributions('optimization/cleanup-procedures', [
      fold([sum(1), sum(2)], 1),
      fold([sum(3)], 30),
    ]) as {
      entries: { n: number }[];
      totals: Record<string, number>;
    };
    assert.deepEqual(s.totals, { runs: 3 });
    assert.deepEqual(
      s.entries.map((e) => e.n),
      [1, 2, 3],
    );
  });

  test('the newest measurement wins per fingerprint', () => {
    const key = 'optimization/parallel-config/h1/tree-20-so';
    const rec = (measuredAt: string, jobs: number) => ({
      fingerprintId: 'h1/tree-20-so',
      choice: { jobs },
      candidates: [],
      measuredAt,
      updatedAt: measuredAt,
    });
    for (const order of [
      [rec(at(30), 8), rec(at(10), 2)],
      [rec(at(10), 2), rec(at(30), 8)],
    ])
      assert.deepEqual((mergeContributions(key, order) as { choice: unknown }).choice, { jobs: 8 });
  });

  test('each member writes its own keys; host-specific records are keyed by host; keys round-trip', () => {
    assert.equal(kvKeyOf('optimization/resource-management', 'a', 'x1'), 'h.a.optimization/resource-management');
    assert.notEqual(kvKeyOf(KEY, 'a', 'x1'), kvKeyOf(KEY, 'b', 'x2'));
    for (const k of ['optimization/cleanup-success/srv/build.x/ä b', 'optimization/resource-management'])
      for (const h of ['a', 'b']) {
        const kk = kvKeyOf(k, h, 'f00d');
        assert.match(kk, /^[-/_=.A-Za-z0-9]+$/);
        assert.equal(memKeyOf(kk)?.key, k);
      }
    assert.deepEqual(memKeyOf(kvKeyOf(KEY, 'a', 'f00d')), { key: KEY, member: 'f00d', host: null });
    assert.deepEqual(memKeyOf(kvKeyOf('optimization/resource-management', 'a', 'f00d')), {
      key: 'optimization/resource-management',
      member: null,
      host: 'a',
    });
  });
});

describe('a farm member’s ledger (real LMDB)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeScratch));
  const open = async () => {
    const d = scratchHome('farm-ledger');
    dirs.push(d);
    return MemoryStore.openWriter(d, { mapSizeBytes: 64 * 1024 * 1024, waitMs: 5000 });
  };

  test('records learned before joining are merged, not replaced; remote copies are idempotent', async () => {
    const a = await open();
    const b = await open();
    try {
      const opsA = new MemoryOps(a);
      const opsB = new MemoryOps(b);
      await opsA.record([use(3)]);
      await opsB.record([use(4), use(1)]);
      const la = (await FarmLedger.join(a, 'a')).ledger;
      const lb = (await FarmLedger.join(b, 'b')).ledger;
      assert.equal((await FarmLedger.join(a, 'a')).seeded, 0, 'joined once');
      const renamed = (await FarmLedger.join(a, 'a-renamed')).ledger;
      assert.deepEqual([renamed.member, renamed.me.host], [la.member, 'a-renamed'], 'a renamed host keeps its keys');
      // Learning after joining adds to the own contribution only.
      await opsA.record([use(2)]);
      const copy = (from: FarmLedger, to: MemoryStore, toLedger: FarmLedger) =>
        to.batch(toLedger.remoteWrites(KEY, from.member, from.mine(KEY)!));
      await copy(la, b, lb);
      await copy(lb, a, la);
      await copy(lb, a, la); // the same copy again adds nothing
      for (const s of [a, b])
        assert.deepEqual(counts(s.get(KEY)!.value), { hits: 10, misses: 4, builds: 4, hitRate: 10 / 14 });
      // An older copy arriving late does not replace a newer one.
      const old = { v: 1, value: fold([use(3)], 1) };
      await b.batch(lb.remoteWrites(KEY, la.member, old));
      assert.equal(counts(b.get(KEY)!.value).hits, 10);
      assert.deepEqual(a.get(KEY)!.value, b.get(KEY)!.value, 'both hosts read the same record');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
