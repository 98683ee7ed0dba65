// Memory: get/set through isoswarm's memory module against raw lmdb-js on the same disk, same run.
// Target >= 0.7x raw throughput for each.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'lmdb';
import { MemoryStore } from '../dist/src/memory/store.js';
import { median, report } from './lib.mjs';

const N = Number(process.argv[2] ?? 20000);
const dir = mkdtempSync('/tmp/isoswarm-bench-memory-');
try {
  const raw = open({ path: `${dir}/raw`, mapSize: 4 * 1024 ** 3 });
  const ours = await MemoryStore.openWriter(`${dir}/ours`, { mapSizeBytes: 4 * 1024 ** 3 });
  const value = (i) => ({ fsType: 'tmpfs', i, strategies: { umount: { attempts: i, successes: i, totalMs: i * 3 } } });
  const timeIt = async (fn) => {
    const t = performance.now();
    await fn();
    return N / ((performance.now() - t) / 1000);
  };
  // Interleaved rounds with fresh keys each, so warm-up, GC and disk state hit both alike.
  const rounds = { rawSet: [], oursSet: [], rawGet: [], oursGet: [] };
  for (let r = 0; r < 3; r++) {
    rounds.rawSet.push(
      await timeIt(() => Promise.all(Array.from({ length: N }, (_, i) => raw.put(`r${r}/${i}`, value(i))))),
    );
    rounds.oursSet.push(
      await timeIt(() => Promise.all(Array.from({ length: N }, (_, i) => ours.set(`r${r}/${i}`, value(i))))),
    );
    rounds.rawGet.push(
      await timeIt(async () => {
        for (let i = 0; i < N; i++) raw.get(`r${r}/${i}`);
      }),
    );
    rounds.oursGet.push(
      await timeIt(async () => {
        for (let i = 0; i < N; i++) ours.get(`r${r}/${i}`);
      }),
    );
  }
  const [rawSet, oursSet, rawGet, oursGet] = [rounds.rawSet, rounds.oursSet, rounds.rawGet, rounds.oursGet].map(median);
  await raw.close();
  await ours.close();
  const okSet = report('memory set', { text: '>= 0.7x raw lmdb-js', test: (r) => r >= 0.7 }, oursSet / rawSet, [
    `raw lmdb put: ${rawSet.toFixed(0)}/s`,
    `isoswarm set: ${oursSet.toFixed(0)}/s`,
  ]);
  const okGet = report('memory get', { text: '>= 0.7x raw lmdb-js', test: (r) => r >= 0.7 }, oursGet / rawGet, [
    `raw lmdb get: ${rawGet.toFixed(0)}/s`,
    `isoswarm get: ${oursGet.toFixed(0)}/s`,
  ]);
  process.exitCode = okSet && okGet ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
