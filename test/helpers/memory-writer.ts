// A child process that writes N keys through isoswarm's memory module (used by the concurrency test).
// argv: dir, writerId, count, mode ("module" = MemoryStore directly, "cli-path" = the CLI's writer
// selection: coordinator when the swarm is up, LMDB otherwise, 100 calls in flight at once).
import { MemoryStore } from '../../src/memory/store.js';

const [dir, id, countText, mode] = process.argv.slice(2);
const count = Number(countText);

if (mode === 'module') {
  const store = await MemoryStore.openWriter(dir!, { mapSizeBytes: 4 * 1024 ** 3, waitMs: 120_000 });
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) pending.push(store.set(`w${id}/k${i}`, { writer: id, i }));
  await Promise.all(pending);
  await store.close();
} else {
  const { loadConfig } = await import('../../src/config/load.js');
  const { ensureStateDir } = await import('../../src/host/system/state-dir.js');
  const { openWriter } = await import('../../src/cli/memory-access.js');
  const ctx = { config: loadConfig(), paths: ensureStateDir() };
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const w = await openWriter(ctx);
      try {
        await w.set(`w${id}/k${i}`, { writer: id, i });
      } finally {
        await w.close();
      }
    }),
  );
}
