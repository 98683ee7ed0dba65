// A run hands its build lock over to its guardian: the guardian binds its name, then the run lets go
// of its own. A real process does that handover at the points a check is most likely to miss it, and
// the check still sees a build. The same points show what the order of the asks protects against:
// the guardian's name asked just before it binds and the run's just after it is let go are both free.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildInTree, buildLockName } from '../../src/host/guard/build-lock.js';
import { askBuildLocks, BUILD_LOCK_ASK_ORDER } from '../../src/host/guard/build-lock-ask.js';
import { boundBuildLockNames, buildInsideOf } from '../../src/host/guard/builds-inside.js';
import { probeLock } from '../../src/host/guard/lock-probe.js';

const LOCK_MODULE = fileURLToPath(new URL('../../src/host/guard/build-lock.js', import.meta.url));
const base = `/tmp/isoswarm-test-handover-${process.pid}`;

/** A run's CLI holding its build lock on `tree`; `handover()` makes it do what the run does at onStart. */
async function runHolder(tree: string, id: string) {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createInterface } from 'node:readline';
       const m = await import(${JSON.stringify(LOCK_MODULE)});
       const tree = ${JSON.stringify(tree)};
       const run = await m.takeRunBuildLock(tree, 'run ${id} (pid ' + process.pid + ') is building in it');
       console.log(run.ok ? 'held' : 'refused: ' + run.reason);
       let guardian = null;
       for await (const line of createInterface({ input: process.stdin })) {
         if (line !== 'handover') continue;
         guardian = await m.takeGuardianBuildLock(tree, 'run ${id} (guardian pid ' + process.pid + ') is building in it');
         await run.lock.release();
         console.log(guardian ? 'handed' : 'guardian refused');
       }`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => ((await lines.next()).value as string | undefined) ?? '(exited)';
  assert.equal(await next(), 'held');
  return {
    child,
    async handover() {
      child.stdin.write('handover\n');
      assert.equal(await next(), 'handed');
    },
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('build lock handover from the run to its guardian', () => {
  const holders: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const h of holders) await h.stop();
  });

  test('the run name is asked before the guardian name', () => {
    assert.deepEqual(BUILD_LOCK_ASK_ORDER, ['run', 'guardian']);
  });

  for (const point of [0, 1, 2])
    test(`a check of the tree sees the build when the handover comes after ${point} of its asks`, async () => {
      const tree = `${base}/tree-${point}`;
      const h = await runHolder(tree, `handover-${point}`);
      holders.push(h);
      let asked = 0;
      if (point === 0) await h.handover();
      const answers = await askBuildLocks(
        (role) => buildLockName(tree, role),
        5000,
        async (name, ms) => {
          const p = await probeLock(name, ms);
          if (++asked === point) await h.handover();
          return p;
        },
      );
      assert.equal(asked, 2, 'both names are asked');
      assert.ok(
        answers.some((a) => a.probe.held),
        `a build was seen: ${JSON.stringify(answers)}`,
      );
      assert.match((await buildInTree(tree)) ?? '', /is in use by a build: run handover-\d \(guardian pid/);
    });

  test('the other order misses the handover between its two asks', async () => {
    const tree = `${base}/tree-reversed`;
    const h = await runHolder(tree, 'handover-r');
    holders.push(h);
    assert.equal((await probeLock(buildLockName(tree, 'guardian'), 5000)).held, false);
    await h.handover();
    assert.equal((await probeLock(buildLockName(tree, 'run'), 5000)).held, false);
    assert.match((await buildInTree(tree)) ?? '', /in use by a build/, 'a new check sees the guardian');
  });

  test('a build found in the list as its run is still seen when the guardian took over since', async () => {
    const tree = `${base}/inside/builds/tree`;
    const h = await runHolder(tree, 'handover-i');
    holders.push(h);
    const runName = buildLockName(tree, 'run');
    const seen = (await boundBuildLockNames()).filter(
      (b) => b.name === runName || b.name === buildLockName(tree, 'guardian'),
    );
    assert.deepEqual(
      seen.map((b) => b.name),
      [runName],
      'the list read before the handover shows the run only',
    );
    await h.handover();
    assert.equal((await probeLock(runName, 5000)).held, false, 'asking only the name seen would miss it');
    assert.match(
      (await buildInsideOf(new Set(seen.map((b) => b.hash)), `${base}/inside`)) ?? '',
      /contains \S+\/builds\/tree, in use by a build: run handover-i \(guardian pid \d+\)/,
    );
  });
});
