// `isoswarm patterns explain KEY` for every key of the pattern table: the record, the measurements
// behind it (a host's tune records with their calibration pairs), plain words and --json.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

const at = new Date().toISOString();
const ENTRIES = [
  {
    key: 'optimization/parallel-config/host1/tree-30-so',
    value: {
      fingerprintId: 'host1',
      choice: { label: 'zstd-9 -b 1M', reason: 'fastest within 25 % of xz -b 1M' },
      candidates: [
        { label: 'zstd-9 -b 1M', wallMs: 420, sampleBytes: 8 << 20, predicted: { buildMs: 19_400, imageBytes: 270e6 } },
      ],
      measuredAt: at,
      updatedAt: at,
    },
  },
  {
    key: 'optimization/parallel-config/host1/time-calibration',
    value: {
      fingerprintId: 'host1',
      pairs: [
        {
          label: 'zstd-9 -b 1M',
          comp: 'zstd',
          predictedMs: 19_400,
          measuredMs: 23_280,
          predictedBytes: 100e6,
          measuredBytes: 108e6,
          at,
          source: 'shim',
        },
        {
          label: 'zstd-9 -b 1M',
          comp: 'zstd',
          predictedMs: 20_000,
          measuredMs: 21_000,
          predictedBytes: 100e6,
          measuredBytes: 104e6,
          at,
          source: 'shim',
        },
      ],
      choice: null,
      candidates: [],
      measuredAt: at,
      updatedAt: at,
    },
  },
  {
    key: 'optimization/caching-effectiveness/apt-archives',
    value: { cache: 'apt-archives', builds: 2, hits: 30, misses: 10, hitRate: 0.75, bytesSaved: 52e6, updatedAt: at },
  },
  {
    key: 'optimization/unmount-strategies/proc',
    value: { fsType: 'proc', strategies: { umount: { attempts: 3, successes: 3, totalMs: 12 } }, updatedAt: at },
  },
  {
    key: 'optimization/cleanup-success/srv/build/chroot',
    value: {
      target: '/srv/build/chroot',
      runs: 1,
      successes: 1,
      refusals: 0,
      failures: 0,
      bytesFreed: 98 << 20,
      lastStatus: 'done',
      lastDurationMs: 1300,
      updatedAt: at,
    },
  },
  ...['cleanup-procedures', 'performance-improvements', 'error-prevention', 'resource-management'].map((n) => ({
    key: `optimization/${n}`,
    value: { entries: [{ at, note: `${n} entry` }], totals: { [`${n}-count`]: 1 }, updatedAt: at },
  })),
];

describe('patterns explain, every key', () => {
  const home = scratchHome('explain');
  const env = testEnv(home);
  after(() => teardownHome(home));

  test('each key prints its record and measurements; a host key shows its calibration pairs', () => {
    const imp = cliSync(env, ['memory', 'import', '-'], ENTRIES.map((e) => JSON.stringify(e)).join('\n'));
    assert.equal(imp.code, 0, imp.stderr);
    const keys = [
      'optimization/unmount-strategies/proc',
      'optimization/parallel-config/host1',
      'optimization/cleanup-success/srv/build/chroot',
      'optimization/caching-effectiveness/apt-archives',
      'optimization/cleanup-procedures',
      'optimization/error-prevention',
      'optimization/performance-improvements',
      'optimization/resource-management',
    ];
    for (const k of keys) {
      const r = cliSync(env, ['patterns', 'explain', k]);
      assert.equal(r.code, 0, `${k}: ${r.stderr}`);
      assert.match(r.stdout, /measurements:\n {4}\S/, `${k}:\n${r.stdout}`);
      assert.match(r.stdout, /decisions it changed: none yet/);
      const j = JSON.parse(cliSync(env, ['patterns', 'explain', k, '--json']).stdout) as {
        key: string;
        records: unknown[];
      };
      assert.equal(j.key, k);
      assert.ok(j.records.length >= 1);
    }
    const host = cliSync(env, ['patterns', 'explain', 'parallel-config/host1']).stdout;
    assert.match(host, /tuning of host1\/tree-30-so: chose zstd-9 -b 1M \(fastest within 25 % of xz -b 1M\)/);
    assert.match(host, /time and size calibration of host host1: 2 measured-vs-predicted pairs/);
    assert.match(host, /predicted 19\.4 s, measured 23\.3 s \(x1\.20; image predicted .*, x1\.080, shim\)/);
    assert.match(host, /image size factor per compressor \(median measured\/predicted\): zstd x1\.060 \(2 pairs\)/);
    assert.match(
      cliSync(env, ['patterns', 'explain', 'caching-effectiveness/apt-archives']).stdout,
      /hit rate 75 %: 30 hits, 10 misses over 2 builds/,
    );
    // A pattern name alone explains all its records.
    const all = JSON.parse(cliSync(env, ['patterns', 'explain', 'parallel-config', '--json']).stdout) as {
      records: unknown[];
    };
    assert.equal(all.records.length, 2);
    // Bad input: a summary has no subject; a key with spaces is no key.
    const sub = cliSync(env, ['patterns', 'explain', 'error-prevention/x']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /error-prevention is a summary with no subject/);
    assert.equal(cliSync(env, ['patterns', 'explain', 'a b']).code, 2);
  });
});
