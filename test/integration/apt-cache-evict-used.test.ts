// Eviction of the apt cache goes by last use: a package hit in an earlier build is evicted once
// older than what fits, a package hit again moves to the back, and what this build used or fetched
// stays. Real overlays, the tuner's own session code, three builds one after another.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import type { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import { listCache } from '../../src/host/cache/cache-dir.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';
import { aptScratch, aptSetup, archives } from '../helpers/apt-sessions.js';

const scratch = aptScratch('apt-evict-used');

const installed = (chroot: string, names: string[]): void => {
  mkdirSync(join(chroot, 'var/lib/dpkg'), { recursive: true });
  const para = (n: string) => `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n`;
  writeFileSync(join(chroot, 'var/lib/dpkg/status'), names.map(para).join('\n'));
};

/** One build: attach with `limit`, install `uses` (and the package `fetch`, downloaded), detach. */
async function build(apt: AptSessions, cache: string, chroot: string, limit: number, uses: string[], fetch?: string) {
  const name = fetch ? basename(fetch).split('_')[0]! : null;
  mkdirSync(chroot, { recursive: true });
  const s = await apt.attach(cache, chroot, limit, join(apt.overlayRoot, chroot.split('/').pop()!));
  assert.ok(typeof s === 'object', String(s));
  if (fetch) writeFileSync(join(archives(chroot), basename(fetch)), readFileSync(fetch));
  installed(chroot, name ? [...uses, name] : uses);
  const d = await apt.detach(apt.key(chroot), s);
  assert.equal(d.sessionEnded, true, d.unbind.reason);
  await new Promise((r) => setTimeout(r, 30));
  return d;
}

test(
  'a cache over its limit evicts packages hit in earlier builds by last use, and keeps what this build used',
  { skip: needsRoot() },
  async () => {
    const { apt, cache, debs, dir } = await aptSetup(scratch, 'lru');
    for (const n of ['a', 'b'])
      writeFileSync(join(cache, `${n}_1.0_amd64.deb`), readFileSync(makeDeb(debs, n, '1.0', 10_000)));
    const fetched = makeDeb(debs, 'n', '1.0', 10_000);
    const deb = (n: string) => `${n}_1.0_amd64.deb`;
    const size = (n: string) => statSync(join(cache, deb(n))).size;
    // Build 1 hits old and a; build 2 hits old again: a is now the least recently used.
    const d1 = await build(apt, cache, join(dir, 'one'), 1 << 30, ['old', 'a']);
    assert.equal(d1.stats.hits, 2, JSON.stringify(d1.stats));
    const d2 = await build(apt, cache, join(dir, 'two'), 1 << 30, ['old']);
    assert.equal(d2.stats.hits, 1, JSON.stringify(d2.stats));
    assert.ok(
      statSync(join(cache, deb('old'))).atimeMs > statSync(join(cache, deb('a'))).atimeMs,
      'a repeat hit is marked again',
    );
    // Build 3 hits b and fetches n; its limit holds those and one more package.
    const nSize = statSync(fetched).size;
    const limit = size('b') + nSize + Math.max(size('old'), size('a'));
    const d3 = await build(apt, cache, join(dir, 'three'), limit, ['b'], fetched);
    assert.deepEqual([d3.stats.hits, d3.stats.misses], [1, 1], JSON.stringify(d3.stats));
    const left = listCache(cache, (n) => n.endsWith('.deb'))
      .map((f) => f.name)
      .sort();
    assert.deepEqual(left, [deb('b'), deb('n'), deb('old')], 'a (used longest ago) went; what build 3 used stayed');
    assert.equal(d3.stats.evicted, 1);
    assert.ok(d3.stats.sizeBytes <= limit, `${d3.stats.sizeBytes} within ${limit}`);
  },
);
