// A run does not start on a chroot while a cleanup or teardown of a dir inside it runs: a real process
// holds a target lock on `tree/var/cache` (as the Cleaner does while it deletes it). The run's build
// lock is refused and the reason names the dir and its holder; a lock beside the tree is no reason; a
// stopped holder cannot say its target, so it refuses too; the memory's writer lock is passed by.
// Once the holder is gone the run's lock is taken. The same tree reached through a bind mount under
// another name is found both ways: a cleanup of the other name keeps the run out, and a build on one
// name keeps a cleanup or teardown of the other out, as it does of a host dir mounted into the tree. A
// silent look-alike name bound by another user
// keeps nothing out.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildInTree, takeRunBuildLock } from '../../src/host/guard/build-lock.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { writerLockName } from '../../src/memory/writer-lock.js';
import { needsRoot } from '../helpers/root.js';

const module = (p: string): string => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));
const base = mkdtempSync('/tmp/isoswarm-test-cleanup-inside-');
const tree = `${base}/builds/tree`;
const alias = `${base}/alias`;
const holders: ChildProcess[] = [];
after(async () => {
  for (const h of holders) {
    h.kill('SIGCONT');
    h.kill('SIGKILL');
  }
  for (const m of [`${tree}/mnt/pkgs`, alias])
    if ((await readMountinfo()).some((e) => e.mountPoint === m)) spawnSync('umount', [m]);
  // Only after the binds are gone: a recursive remove never crosses a mount.
  if (!(await readMountinfo()).some((m) => isAtOrUnder(m.mountPoint, base)))
    rmSync(base, { recursive: true, force: true });
});

/** A process holding `code`'s lock until killed (as user nobody: `asNobody`); resolves once it holds it. */
async function holder(code: string, asNobody = false): Promise<{ proc: ChildProcess; exited: Promise<unknown> }> {
  const node = [
    process.execPath,
    '--input-type=module',
    '-e',
    `${code}\nconsole.log(l ? 'held' : 'not held');\nsetInterval(() => {}, 1000);`,
  ];
  const [cmd, ...args] = asNobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...node]
    : node;
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(proc);
  const exited = once(proc, 'exit');
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'held');
  return { proc, exited };
}

const targetHolder = (target: string) =>
  holder(
    `const m = await import(${JSON.stringify(module('host/guard/target-lock.js'))});\nconst l = await m.acquireTargetLock(${JSON.stringify(target)});`,
  );

async function runLock(notCleanups: string[] = []): Promise<string | null> {
  const r = await takeRunBuildLock(tree, `run inside-test (pid ${process.pid}) is building in it`, notCleanups);
  if (!r.ok) return r.reason;
  await r.lock.release();
  return null;
}

test('a cleanup or teardown inside a chroot keeps a run from starting on it, even when its holder is stopped', async () => {
  const beside = await targetHolder(`${base}/builds/other`);
  assert.equal(await runLock(), null, 'a cleanup beside the tree is no reason');

  // The memory's writer lock is a target lock's name too (as in every version): a live writer says
  // "memory:<dir>", no path, so it is passed by; a silent one (stopped, or a coordinator from before
  // holders said their target) refuses, unless it is the run's own home's, which the run names.
  const memoryDir = `${base}/memory`;
  mkdirSync(memoryDir);
  const memory = await holder(
    `const m = await import(${JSON.stringify(module('memory/writer-lock.js'))});\nconst l = await m.acquireWriterLock(${JSON.stringify(memoryDir)}, 0);`,
  );
  assert.equal(await runLock(), null, 'a live writer of the memory is no cleanup');
  memory.proc.kill('SIGSTOP');
  assert.match((await runLock()) ?? '', /did not say which target it holds/, 'a stopped writer of another home');
  assert.equal(await runLock([writerLockName(memoryDir)]), null, "the run's own home's writer, even stopped");
  memory.proc.kill('SIGCONT');

  const inside = await targetHolder(`${tree}/var/cache`);
  assert.match(
    (await runLock()) ?? '',
    /^a cleanup or teardown of \/tmp\/isoswarm-test-cleanup-inside-\w+\/builds\/tree\/var\/cache, inside \S+\/builds\/tree, is running: isoswarm \(pid \d+\) holds the target lock$/,
  );
  inside.proc.kill('SIGSTOP');
  assert.match(
    (await runLock()) ?? '',
    /is held by a process that did not say which target it holds \(a stopped cleanup, or an isoswarm from before .*\), so it cannot be ruled out that it is inside \S+\/builds\/tree$/,
  );
  inside.proc.kill('SIGCONT');
  inside.proc.kill('SIGKILL');
  await inside.exited;
  assert.equal(await runLock(), null, 'the kernel freed the name when the holder died: the run may start');
  for (const h of [beside, memory]) {
    h.proc.kill('SIGKILL');
    await h.exited;
  }
});

test('the same tree under another name (a bind mount) is found both ways', { skip: needsRoot() }, async () => {
  mkdirSync(`${tree}/var`, { recursive: true });
  mkdirSync(`${base}/builds/other`, { recursive: true });
  mkdirSync(alias);
  const bind = spawnSync('mount', ['--bind', `${base}/builds`, alias], { encoding: 'utf8' });
  assert.equal(bind.status, 0, bind.stderr);

  // A cleanup of the tree by its other name, of a dir inside it, of the bind's root around it.
  for (const target of [`${alias}/tree`, `${alias}/tree/var`, alias]) {
    const h = await targetHolder(target);
    assert.match(
      (await runLock()) ?? '',
      /^a cleanup or teardown of \S+\/alias\S* is running, and it shares files with \S+\/builds\/tree through a bind mount \(one holds the other\): isoswarm \(pid \d+\) holds the target lock$/,
      target,
    );
    h.proc.kill('SIGKILL');
    await h.exited;
  }
  const beside = await targetHolder(`${alias}/other`);
  assert.equal(await runLock(), null, 'a cleanup beside the tree, by the other name, is no reason');
  beside.proc.kill('SIGKILL');
  await beside.exited;

  // A build on the tree keeps out a teardown or clean of it, of a dir in it and of one around it, by the other name.
  const build = await holder(
    `const m = await import(${JSON.stringify(module('host/guard/build-lock.js'))});\nconst l = await m.takeGuardianBuildLock(${JSON.stringify(tree)}, 'run alias-1 (guardian pid ' + process.pid + ') is building in it');`,
  );
  for (const target of [`${alias}/tree`, `${alias}/tree/var`, alias])
    assert.match(
      (await buildInTree(target)) ?? '',
      /^\S+\/alias\S* and \S+\/builds\/tree, in use by a build, share files through a bind mount \(one holds the other\): run alias-1 \(guardian pid \d+\) is building in it$/,
      target,
    );
  assert.equal(await buildInTree(`${alias}/other`), null, 'a dir beside the tree, by the other name');
  // A host dir the build mounted into its tree is the build's too: it, a dir in it, a dir around it.
  mkdirSync(`${base}/pkgs/sub`, { recursive: true });
  mkdirSync(`${tree}/mnt/pkgs`, { recursive: true });
  const into = spawnSync('mount', ['--bind', `${base}/pkgs`, `${tree}/mnt/pkgs`], { encoding: 'utf8' });
  assert.equal(into.status, 0, into.stderr);
  try {
    for (const target of [`${base}/pkgs`, `${base}/pkgs/sub`])
      assert.match(
        (await buildInTree(target)) ?? '',
        /^\S+\/pkgs(\/sub)? is mounted at \S+\/builds\/tree\/mnt\/pkgs, inside \S+\/builds\/tree, in use by a build: run alias-1 /,
        target,
      );
    mkdirSync(`${base}/unrelated`);
    assert.equal(await buildInTree(`${base}/unrelated`), null, 'a dir beside the mounted one');
  } finally {
    spawnSync('umount', [`${tree}/mnt/pkgs`]);
  }
  assert.equal(await buildInTree(`${alias}/tree`, 'alias-1'), null, "the run's own script is let by");
  build.proc.kill('SIGKILL');
  await build.exited;
  assert.equal(await buildInTree(`${alias}/tree`), null);
});

test(
  "a silent look-alike name bound by another user keeps no run and no cleanup out; another user's stopped run does",
  { skip: needsRoot() },
  async () => {
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    const names = [
      `isoswarm-lock-${hash(`${tree}/var/cache`)}`, // as a cleanup inside the tree would be named
      `isoswarm-lock-${hash(`${base}/builds`)}`, // as a cleanup around it
      `isoswarm-build-${hash(`${base}/builds/deep/tree`)}-run`, // as a build inside a dir
    ];
    // Binds the names, says nothing, as any local user can.
    const { proc, exited } = await holder(
      `const net = await import('node:net');
       for (const n of ${JSON.stringify(names)}) await new Promise((r) => net.createServer(() => {}).listen({ path: '\\0' + n }, r));
       const l = true;`,
      true,
    );
    assert.equal(await runLock(), null, 'a run on the tree');
    assert.equal(await buildInTree(`${base}/builds`), null, 'a cleanup of the dir');
    proc.kill('SIGKILL');
    await exited;

    // A run of another user from this install, stopped (Ctrl-Z): silent, and still a build of ours.
    const { proc: other, exited: gone } = await holder(
      `const m = await import(${JSON.stringify(module('host/guard/build-lock.js'))});
       const l = await m.takeGuardianBuildLock(${JSON.stringify(`${base}/builds/deep/tree`)}, 'run nobody-1 (guardian pid ' + process.pid + ') is building in it');`,
      true,
    );
    other.kill('SIGSTOP');
    assert.match(
      (await buildInTree(`${base}/builds`)) ?? '',
      /did not say which tree it guards \(a stopped run\?\)/,
      "another user's stopped run keeps the cleanup out",
    );
    other.kill('SIGCONT');
    other.kill('SIGKILL');
    await gone;
  },
);
