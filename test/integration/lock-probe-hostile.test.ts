// Any local user can bind an abstract name that looks like a build lock. A real process that streams
// without end on such a name, and one that holds hundreds of such names without answering, must not
// crash a check or hold it for long: the check refuses (it cannot rule out a build) and returns within
// its bound. The bounds asserted here are generous (a loaded machine); without them a check would run
// out of memory, or wait 5 s per name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { buildInTree, buildLockName } from '../../src/host/guard/build-lock.js';
import { boundBuildLockNames, buildInside, buildInsideOf } from '../../src/host/guard/builds-inside.js';
import { MAX_ANSWER_BYTES, probeLock } from '../../src/host/guard/lock-probe.js';

const base = `/tmp/isoswarm-test-hostile-${process.pid}`;

/** A process binding `names`; `stream`: it writes to every connection without end, else it says nothing. */
async function hostile(names: string[], stream: boolean) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const net = require('node:net');
       const chunk = Buffer.alloc(65536, 'x');
       const names = ${JSON.stringify(names)};
       let bound = 0;
       for (const name of names) {
         const server = net.createServer((c) => {
           c.on('error', () => {});
           if (!${stream}) return;
           const pump = () => { while (!c.destroyed && c.write(chunk)); };
           c.on('drain', pump);
           pump();
         });
         server.listen({ path: '\\0' + name }, () => { if (++bound === names.length) console.log('bound'); });
       }`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  assert.equal(first.value, 'bound');
  return {
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('a check facing hostile holders of build lock names', () => {
  const holders: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const h of holders) await h.stop();
  });

  test('a holder that streams without end: held, nothing said, the check refuses and returns', async () => {
    const tree = `${base}/stream/tree`;
    const h = await hostile([buildLockName(tree, 'run')], true);
    holders.push(h);
    const t0 = Date.now();
    const p = await probeLock(buildLockName(tree, 'run'), 5000);
    assert.deepEqual(p, { held: true, says: null, tree: null }, `more than ${MAX_ANSWER_BYTES} bytes is no answer`);
    assert.match((await buildInTree(tree)) ?? '', /is in use by a build: its run holds the build lock/);
    assert.match(
      (await buildInTree(`${base}/stream`)) ?? '',
      /did not say which tree it guards .* inside \/tmp\/isoswarm-test-hostile-\d+\/stream$/,
    );
    assert.ok(Date.now() - t0 < 30_000, `the checks took ${Date.now() - t0} ms`);
    await h.stop();
    holders.pop();
    assert.equal(await buildInTree(`${base}/stream`), null);
  });

  test('hundreds of silent names: the check refuses within its bound, not 5 s per name', async () => {
    const hashes = Array.from({ length: 400 }, () => randomBytes(32).toString('hex'));
    const h = await hostile(
      hashes.map((x) => `isoswarm-build-${x}-run`),
      false,
    );
    holders.push(h);
    const seen = new Set((await boundBuildLockNames()).map((b) => b.hash));
    assert.ok(
      hashes.every((x) => seen.has(x)),
      'every name is in the list',
    );
    const t0 = Date.now();
    assert.match((await buildInside(`${base}/unrelated`)) ?? '', /did not say which tree it guards/);
    const took = Date.now() - t0;
    console.log(`check with 400 silent names: ${took} ms`);
    // Asked one after the other: 400 x (5 s + 5 s). Side by side: about one wait of 5 s.
    assert.ok(took < 60_000, `the check took ${took} ms`);
    // Past its bound no tree is started, and those not asked refuse.
    assert.match(
      (await buildInsideOf(new Set(hashes), `${base}/unrelated`, undefined, 0)) ?? '',
      /^400 bound build lock names could not be asked within 0 s/,
    );
    await h.stop();
    holders.pop();
    assert.equal(await buildInside(`${base}/unrelated`), null);
  });
});
