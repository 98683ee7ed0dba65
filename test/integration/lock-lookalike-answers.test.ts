// Any local user can bind an abstract name like one of our locks and answer anything: one byte, a
// forged holder line, or nothing. Real processes of user nobody bind look-alike target lock names (a
// cleanup inside a chroot, one around it) and build lock names (builds inside a dir, one on the dir):
// a run may start on the chroot and a cleanup of the dir may go on, whatever they answer. The very
// same names held by root, answering the same, keep the run and the cleanup out as before. A look-alike
// holding a target's exact lock name is named for what it is, its words not repeated.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { buildInTree, takeRunBuildLock } from '../../src/host/guard/build-lock.js';
import { acquireTargetLock, lockedReason, lockName } from '../../src/host/guard/target-lock.js';
import { probeLock } from '../../src/host/guard/lock-probe.js';
import { holderOwners } from '../../src/host/guard/holder-owners.js';
import { needsRoot } from '../helpers/root.js';

const NOBODY = 65534;
const base = mkdtempSync('/tmp/isoswarm-test-lookalike-');
const tree = `${base}/builds/tree`;
mkdirSync(tree, { recursive: true });
const hash = (s: string): string => createHash('sha256').update(s).digest('hex');
const buildName = (t: string): string => `isoswarm-build-${hash(t)}-run`;

const holders: ChildProcess[] = [];
after(() => {
  // Every holder, whatever happened: a leftover one would keep its names bound for later tests.
  for (const h of holders) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

type Spec = [name: string, answer: string | null][];

/**
 * A real process binding every name of `spec` and answering each connection with its answer (null:
 * nothing), as user nobody or as root. Its command line names no file of this install.
 */
async function bind(spec: Spec, asNobody: boolean): Promise<{ pid: number; stop(): Promise<void> }> {
  const code = `const net = require('node:net');
    const spec = ${JSON.stringify(spec)};
    let bound = 0;
    for (const [name, answer] of spec)
      net.createServer((c) => { c.on('error', () => {}); if (answer !== null) c.end(answer); })
        .listen({ path: '\\0' + name }, () => { if (++bound === spec.length) console.log('bound'); });
    setInterval(() => {}, 1000);`;
  const node = [process.execPath, '-e', code];
  const [cmd, ...args] = asNobody
    ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...node]
    : node;
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(proc);
  const exited = once(proc, 'exit');
  const first = await createInterface({ input: proc.stdout! })[Symbol.asyncIterator]().next();
  assert.equal(first.value, 'bound', 'the holder bound every name');
  return {
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

async function runLock(): Promise<string | null> {
  const r = await takeRunBuildLock(tree, `run lookalike-test (pid ${process.pid}) is building in it`);
  if (!r.ok) return r.reason;
  await r.lock.release();
  return null;
}

const forgedCleanup = (target: string): string => `isoswarm (pid 1) holds the target lock\ntree ${target}`;
// Names a run on `tree` asks: a cleanup inside it answering one byte, one inside it answering a forged
// holder line, one around it answering a forged line.
const runNames: Spec = [
  [lockName(`${tree}/var/cache`), 'x'],
  [lockName(`${tree}/var/log`), forgedCleanup(`${tree}/var/log`)],
  [lockName(`${base}/builds`), forgedCleanup(`${base}/builds`)],
];
// Names a cleanup of `${base}/builds` asks: silent builds inside it, a build inside answering a forged
// line, a build on the dir itself answering one byte.
const silentBuilds: Spec = Array.from({ length: 6 }, (_, i) => [buildName(`${base}/builds/deep${i}/tree`), null]);
const cleanupNames: Spec = [
  ...silentBuilds,
  [buildName(`${base}/builds/forged/tree`), `run forged-1 (pid 1) is building in it\ntree ${base}/builds/forged/tree`],
  [buildName(`${base}/builds`), 'x'],
];

test(
  'look-alike lock names of another user keep no run and no cleanup out, whatever they answer',
  { skip: needsRoot() },
  async () => {
    const h = await bind([...runNames, ...cleanupNames], true);
    try {
      // They do talk: the checks below pass them by for who holds them, not for their silence.
      for (const [name, answer] of [...runNames, ...cleanupNames]) {
        if (answer === null) continue; // asking a silent one waits the whole 5 s
        const p = await probeLock(name, 5000);
        assert.equal(p.held, true, name);
        assert.equal([p.says, p.tree].filter((x) => x !== null).join('\ntree '), answer, name);
      }
      const owners = holderOwners();
      for (const [name] of [...runNames, ...cleanupNames])
        assert.deepEqual(
          owners.ownersOf(name),
          [{ pid: String(h.pid), uid: NOBODY }],
          `one look finds the holder of ${name}`,
        );

      assert.equal(await runLock(), null, 'a run on the chroot starts');
      assert.equal(await buildInTree(`${base}/builds`), null, 'a cleanup of the dir goes on');
      assert.equal(await buildInTree(tree), null, 'a cleanup of the chroot goes on');
    } finally {
      await h.stop();
    }
  },
);

test('the same names held by root keep the run and the cleanup out, as before', { skip: needsRoot() }, async () => {
  const cases: { spec: Spec; check: () => Promise<string | null>; refusal: RegExp }[] = [
    { spec: [runNames[0]!], check: runLock, refusal: /is held by a process that did not say which target it holds/ },
    {
      spec: [runNames[1]!],
      check: runLock,
      refusal:
        /^a cleanup or teardown of \S+\/builds\/tree\/var\/log, inside \S+\/builds\/tree, is running: isoswarm \(pid 1\) holds the target lock$/,
    },
    {
      spec: [runNames[2]!],
      check: runLock,
      refusal: /^a cleanup or teardown of \S+\/builds, which contains \S+\/builds\/tree, is running$/,
    },
    {
      spec: silentBuilds,
      check: () => buildInTree(`${base}/builds`),
      refusal: /^a build lock \(isoswarm-build-\w+-run\) is held by a process that did not say which tree it guards/,
    },
    {
      spec: [cleanupNames[silentBuilds.length]!],
      check: () => buildInTree(`${base}/builds`),
      refusal: /contains \S+\/builds\/forged\/tree, in use by a build: run forged-1 \(pid 1\) is building in it$/,
    },
    {
      spec: [cleanupNames[silentBuilds.length + 1]!],
      check: () => buildInTree(`${base}/builds`),
      refusal: /^\S+\/builds is in use by a build: x$/,
    },
  ];
  for (const { spec, check, refusal } of cases) {
    const h = await bind(spec, false);
    try {
      assert.match((await check()) ?? '', refusal);
    } finally {
      await h.stop();
    }
  }
  assert.equal(await runLock(), null, 'with every holder gone the run starts');
  assert.equal(await buildInTree(`${base}/builds`), null, 'and the cleanup goes on');
});

test(
  "a look-alike on a target's exact lock name is named for what it is, not in its words",
  { skip: needsRoot() },
  async () => {
    const target = `${base}/squat`;
    const forged: Spec = [[lockName(target), `run evil-1 (pid 1) is building in it\ntree ${target}`]];
    for (const asNobody of [true, false]) {
      const h = await bind(forged, asNobody);
      try {
        assert.equal(await acquireTargetLock(target), null, 'the name is taken, so the target cannot be locked');
        const why = await lockedReason(target);
        if (asNobody) {
          assert.match(why, /is held by a process of another user that is not isoswarm/);
          assert.doesNotMatch(why, /evil/);
        } else assert.equal(why, `${target} is in use: run evil-1 (pid 1) is building in it`);
      } finally {
        await h.stop();
      }
    }
  },
);
