// Nothing written is lost: many writer processes at once, counted key by key afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { MemoryStore } from '../../src/memory/store.js';
import { cli, cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

const WRITER = fileURLToPath(new URL('../helpers/memory-writer.js', import.meta.url));

function runWriter(env: NodeJS.ProcessEnv, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [WRITER, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    c.once('exit', (code) => resolve(code));
  });
}

function countAll(dir: string, writers: number, perWriter: number): number {
  const store = MemoryStore.open(dir, { mapSizeBytes: 4 * 1024 ** 3, readOnly: true });
  let n = 0;
  for (let w = 0; w < writers; w++) {
    for (let i = 0; i < perWriter; i++) {
      const e = store.get(`w${w}/k${i}`);
      if (e && (e.value as { i: number }).i === i) n++;
    }
  }
  void store.close();
  return n;
}

describe('memory under concurrent writers', () => {
  const homes: string[] = [];
  after(() => homes.forEach(teardownHome));

  test('8 processes x 5,000 writes through the memory module: all 40,000 there', async () => {
    const home = scratchHome('mem-module');
    homes.push(home);
    const codes = await Promise.all(
      Array.from({ length: 8 }, (_, w) => runWriter(testEnv(home), [`${home}/memory`, String(w), '5000', 'module'])),
    );
    assert.deepEqual(codes, Array(8).fill(0));
    assert.equal(countAll(`${home}/memory`, 8, 5000), 40_000);
  });

  for (const swarm of ['down', 'up'] as const) {
    test(`8 processes x 100 concurrent memory sets through the CLI's writer, swarm ${swarm}: all 800 there`, async () => {
      const home = scratchHome(`mem-cli-${swarm}`);
      homes.push(home);
      const env = testEnv(home);
      if (swarm === 'up') assert.equal(cliSync(env, ['up']).code, 0);
      const codes = await Promise.all(
        Array.from({ length: 8 }, (_, w) => runWriter(env, ['-', String(w), '100', 'cli-path'])),
      );
      assert.deepEqual(codes, Array(8).fill(0));
      cliSync(env, ['down']);
      assert.equal(countAll(`${home}/memory`, 8, 100), 800);
    });

    test(`8 x 10 real \`isoswarm memory set\` processes at once, swarm ${swarm}: all there`, async () => {
      const home = scratchHome(`mem-cli-proc-${swarm}`);
      homes.push(home);
      const env = testEnv(home);
      if (swarm === 'up') assert.equal(cliSync(env, ['up']).code, 0);
      const runs = await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          const out = [];
          for (let i = 0; i < 10; i++)
            out.push(cli(env, ['memory', 'set', `w${w}/k${i}`, JSON.stringify({ writer: w, i })], undefined, 180_000));
          return Promise.all(out);
        }),
      );
      for (const r of runs.flat()) assert.equal(r.code, 0, r.stderr);
      cliSync(env, ['down']);
      assert.equal(countAll(`${home}/memory`, 8, 10), 80);
      rmSync(`${home}/run.json`, { force: true });
    });
  }
});
