// The tuner's scratch is journalled: a tuner SIGKILLed while it measures leaves its sample dir behind,
// and the restarted tuner deletes it (through the safe deleter) and drops the journal entry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pingNames, rawClient } from '../helpers/bus.js';
import { CLI, cliSync, removeScratch, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tunerPid(home: string): Promise<number | null> {
  const nc = await rawClient(home, 'cli');
  try {
    return (await pingNames(nc)).find((s) => s.name === 'performance-tuner')?.pid ?? null;
  } finally {
    await nc.close();
  }
}

describe("the tuner's scratch is journalled", () => {
  const home = scratchHome('tune-scratch');
  const tmp = mkdtempSync('/tmp/isoswarm-test-tune-tmp-');
  const env = testEnv(home, { TMPDIR: tmp });
  after(async () => {
    assert.deepEqual(await finishHome(home), []);
    removeScratch(tmp);
  });

  test('killed mid-tune: the next start removes the scratch dir and its journal entry', async () => {
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
    const tree = join(tmp, 'tree');
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 25; f++)
        writeFileSync(
          join(tree, `d${d}`, `f${f}.bin`),
          f % 2 ? randomBytes(96_000) : Buffer.alloc(96_000, `line ${d} ${f}\n`),
        );
    }
    const before = await tunerPid(home);
    assert.ok(before);
    const tune = spawn(process.execPath, [CLI, 'tune', '--target', tree, '--json'], { env, stdio: 'ignore' });
    const journal = join(home, 'journal', 'scratch');
    const scratchDirs = () => readdirSync(tmp).filter((n) => n.startsWith('isoswarm-tune-'));
    const end = Date.now() + 60_000;
    while (!(scratchDirs().length && existsSync(journal) && readdirSync(journal).length) && Date.now() < end)
      await sleep(20);
    const left = scratchDirs();
    assert.equal(left.length, 1, 'the tuner never made its scratch dir');
    assert.deepEqual(readdirSync(journal), [`${left[0]}.json`], 'the scratch dir is not journalled');
    process.kill(before, 'SIGKILL');
    await new Promise((r) => (tune.exitCode !== null ? r(null) : tune.once('exit', r)));
    // The supervisor restarts the tuner; its start removes what the killed one left.
    let after: number | null = null;
    const end2 = Date.now() + 60_000;
    while (Date.now() < end2) {
      after = await tunerPid(home).catch(() => null);
      if (after && after !== before && !existsSync(join(tmp, left[0]!)) && readdirSync(journal).length === 0) break;
      await sleep(200);
    }
    assert.ok(after && after !== before, 'the tuner was not restarted');
    assert.equal(existsSync(join(tmp, left[0]!)), false, 'the scratch dir is still there');
    assert.deepEqual(readdirSync(journal), []);
    assert.ok(existsSync(join(tree, 'd0', 'f0.bin')), 'the tuned tree itself was touched');
  });
});
