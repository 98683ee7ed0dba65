// Finding the builds inside a dir from their locks: a real process holds a build lock on a tree (as a
// run's guardian does). A dir around the tree is refused and the answer names the tree and the run;
// a dir beside it is not; the run's own id lets it by. A holder that is stopped cannot say its tree,
// so while it is stopped every dir is refused, and the answer says why.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildInTree } from '../../src/host/guard/build-lock.js';

const LOCK_MODULE = fileURLToPath(new URL('../../src/host/guard/build-lock.js', import.meta.url));

test('a build lock keeps out a teardown or clean of a dir around its tree, even when its holder is stopped', async () => {
  const tree = `/tmp/isoswarm-test-lock-inside-${process.pid}/builds/tree`;
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(LOCK_MODULE)});
       const l = await m.takeGuardianBuildLock(${JSON.stringify(tree)}, 'run inside-1 (guardian pid ' + process.pid + ') is building in it');
       console.log(l ? 'held' : 'not held');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(holder, 'exit');
  try {
    const [line] = (await once(holder.stdout, 'data')) as [Buffer];
    assert.equal(line.toString().trim(), 'held');
    const parent = tree.replace(/\/builds\/tree$/, '');
    assert.match(
      (await buildInTree(parent)) ?? '',
      /^\/tmp\/isoswarm-test-lock-inside-\d+ contains \S+\/builds\/tree, in use by a build: run inside-1 \(guardian pid \d+\) is building in it$/,
    );
    assert.match((await buildInTree(`${parent}/builds`)) ?? '', /contains \S+\/builds\/tree, in use by a build/);
    assert.match((await buildInTree(tree)) ?? '', /builds\/tree is in use by a build: run inside-1/);
    assert.equal(await buildInTree(`${parent}/builds/other`), null, 'a dir beside the tree is no build of it');
    assert.equal(await buildInTree(`${parent}/builds/treeX`), null, 'a name that only starts like the tree');
    assert.equal(await buildInTree(parent, 'inside-1'), null, "the run's own script is let by");
    assert.match((await buildInTree(parent, 'inside-2')) ?? '', /contains/, 'another run id is not');

    holder.kill('SIGSTOP');
    const stopped = await buildInTree('/tmp/isoswarm-test-lock-inside-unrelated');
    assert.match(stopped ?? '', /held by a process that did not say which tree it guards \(a stopped run\?\)/);
    holder.kill('SIGCONT');
    assert.equal(await buildInTree('/tmp/isoswarm-test-lock-inside-unrelated'), null);
  } finally {
    holder.kill('SIGCONT');
    holder.kill('SIGKILL');
  }
  await exited;
  assert.equal(await buildInTree(tree), null, 'the kernel freed the name when the holder died');
});
