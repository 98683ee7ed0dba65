// The memory context a Claude Code session gets: one line per learned pattern, each with its
// evidence count, the ones about the session's directory and active alerts first, within the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedContext, patternLines } from '../../src/claude/memory-context.js';

const entries = [
  {
    key: 'optimization/parallel-config/abc',
    value: {
      choice: {
        label: 'zstd-6 1M',
        mksquashfsOpts: '-comp zstd -Xcompression-level 6 -b 1M',
        reason: '11.3 s vs 154 s for xz-1M, image +23 %',
      },
      candidates: [{}, {}, {}],
      measuredAt: '2026-11-30',
    },
  },
  {
    key: 'optimization/unmount-strategies/proc',
    value: {
      fsType: 'proc',
      strategies: {
        umount: { attempts: 7, successes: 7, totalMs: 30 },
        lazy: { attempts: 1, successes: 0, totalMs: 1 },
      },
    },
  },
  {
    key: 'optimization/cleanup-success/srv-build',
    value: { target: '/srv/build/chroot', runs: 5, successes: 4, refusals: 1, failures: 0, lastStatus: 'done' },
  },
  {
    key: 'optimization/caching-effectiveness/apt',
    value: { cache: 'apt', hitRate: 0.8, builds: 6, hits: 40, misses: 10 },
  },
  {
    key: 'optimization/resource-management',
    value: {
      entries: [
        { at: 'a', event: 'alert', metric: 'disk', subject: '/', value: 91, threshold: 85 },
        { at: 'b', event: 'alert', metric: 'mem', subject: '', value: 95, threshold: 90 },
        { at: 'c', event: 'recovery', metric: 'mem', subject: '', value: 50, threshold: 90 },
      ],
    },
  },
];

test('every line carries its evidence count; the session directory and active alerts come first', () => {
  const lines = patternLines(entries, '/srv/build');
  for (const l of lines) assert.match(l.line, /\(evidence: \d+ /, l.line);
  const text = boundedContext(lines, 250);
  const body = text.split('\n').slice(1);
  assert.match(body[0]!, /^- Active alert: disk \/ at 91 \(threshold 85\)/);
  assert.ok(!text.includes('Active alert: mem'), 'a recovered alert is not active');
  assert.match(body[1]!, /^- Cleanup of \/srv\/build\/chroot: 4\/5 done.*\(evidence: 5 runs\)/);
  assert.match(
    text,
    /Tuned compressor on this host: zstd-6 1M \(MKSQUASHFS_OPTS="-comp zstd -Xcompression-level 6 -b 1M"\): 11\.3 s vs 154 s/,
  );
  assert.match(text, /Unmounting proc: umount worked 7\/7 \(evidence: 8 attempts\)/);
  assert.match(text, /Cache apt: hit rate 80 % \(evidence: 6 builds, 40 hits\)/);
});

test('bounded: lines that do not fit the word budget are left out; nothing learned is no context', () => {
  const lines = patternLines(entries, null);
  const small = boundedContext(lines, 40);
  assert.ok(small.split(/\s+/).length <= 40, small);
  assert.ok(small.split('\n').length >= 2);
  assert.equal(boundedContext([], 250), '');
});
