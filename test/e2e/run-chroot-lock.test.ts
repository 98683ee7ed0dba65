// A build holds a build lock on its chroot while it runs: a real Unmounter teardown and a real
// Cleaner clean of that tree (the reactor's two requests for a tree it judged stale), a clean of a dir
// inside it, and a person's `isoswarm cleanup`, are refused while the build is active, and the tree
// and the build survive. A second run on the tree is refused. The run's own post-task then tears down
// and deletes the tree (no deadlock with its own lock). The build's own script may unmount its chroot
// (its run id lets it by); another run id may not. A run on a tree whose target lock a cleanup holds
// is refused (exit 3) and its build never starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { requestEndpoint } from '../../src/bus/request.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { replyOrRefusal } from '../../src/schemas/bus-error.js';
import { rawClient } from '../helpers/bus.js';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { tagged, waitFor } from '../helpers/run-watch.js';

// Writes into the chroot, says it is ready, then works until told to stop.
const BUILD = `#!/bin/sh
set -eu
C="$1"; READY="$2"; GO="$3"; TAG="$4"
mkdir -p "$C/var/lib"
echo payload > "$C/var/lib/data"
touch "$READY"
while [ ! -e "$GO" ]; do sleep "0.$TAG"; done
test -s "$C/var/lib/data"
`;

type Reply = { result?: { status: string; reason?: string; targets?: { status: string; reason?: string }[] } | null };

describe("a build holds its chroot's lock", { skip: needsRoot() }, () => {
  const home = scratchHome('chroot-lock');
  const work = mkdtempSync('/tmp/isoswarm-test-chroot-lock-work-');
  const env = testEnv(home);
  const tags: string[] = [];
  writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
  before(() => {
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  after(() => {
    for (const t of tags) for (const pid of tagged(`0.${t}`)) process.kill(pid, 'SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  test('teardown, clean and cleanup of the tree are refused while the build runs; post-task still cleans it', async () => {
    const chroot = `${work}/tree`;
    const tag = String(1000 + Math.floor(Math.random() * 8000));
    tags.push(tag);
    const [ready, go] = [`${work}/ready`, `${work}/go`];
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--no-tune',
        '--name',
        'locked',
        '--chroot',
        chroot,
        '--',
        `${work}/build.sh`,
        chroot,
        ready,
        go,
        tag,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let io = '';
    child.stdout.on('data', (d: Buffer) => (io += d.toString()));
    child.stderr.on('data', (d: Buffer) => (io += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      await waitFor('the build to be working in its chroot', () => existsSync(ready), 90_000);
      const nc = await rawClient(home);
      try {
        // The reactor's requests for a tree: the Unmounter's teardown, then the Cleaner's clean.
        const td = await replyOrRefusal(
          requestEndpoint<Reply>(nc, 'isoswarm', 'unmounter', 'teardown', { target: chroot }, 60_000),
        );
        assert.equal(td.result?.status, 'refused', JSON.stringify(td));
        assert.match(
          td.result?.reason ?? '',
          /is in use by a build: run locked-\S+ \(guardian pid \d+\) is building in it/,
        );
        const cl = await replyOrRefusal(
          requestEndpoint<Reply>(
            nc,
            'isoswarm',
            'cleaner',
            'clean',
            { targets: [{ path: chroot, kind: 'tree' }], trigger: 'disk alert' },
            60_000,
          ),
        );
        // A dir inside the building chroot is part of that build.
        const inner = await replyOrRefusal(
          requestEndpoint<Reply>(
            nc,
            'isoswarm',
            'cleaner',
            'clean',
            { targets: [{ path: `${chroot}/var/lib`, kind: 'tree' }] },
            60_000,
          ),
        );
        assert.match(
          inner.result?.targets?.[0]?.reason ?? JSON.stringify(inner),
          /\/var\/lib is inside .*\/tree, in use by a build: run locked-/,
        );
        assert.equal(cl.result?.targets?.[0]?.status, 'refused', JSON.stringify(cl));
        assert.match(
          cl.result?.targets?.[0]?.reason ?? '',
          /is in use by a build: run locked-\S+ \(guardian pid \d+\) is building in it/,
        );
      } finally {
        await nc.close();
      }
      const cu = cliSync(env, ['cleanup', '--force', chroot], undefined, 120_000);
      assert.equal(cu.code, 3, `cleanup of a tree in use: ${cu.stdout}${cu.stderr}`);
      assert.match(cu.stdout + cu.stderr, /is building in it/);
      // A second run on the same tree is refused too: one build per tree.
      const second = cliSync(env, ['run', '--no-tune', '--chroot', chroot, '--', 'touch', `${work}/second-ran`]);
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, /refusing to start on .*: .* is in use by a build/);
      assert.equal(existsSync(`${work}/second-ran`), false, 'the second build never started');
      assert.equal(readFileSync(`${chroot}/var/lib/data`, 'utf8'), 'payload\n', 'the tree is intact');
      assert.equal(child.exitCode, null, `the run is still going: ${io}`);
      assert.ok(tagged(`0.${tag}`).length > 0, 'the build is still running');
    } finally {
      writeFileSync(go, '');
    }
    assert.equal(await exited, 0, io);
    // The run's own post-task took the same lock after the build: the tree was torn down and deleted.
    assert.equal(existsSync(chroot), false, `the run's post-task deleted its tree: ${io}`);
  });

  test("the build's own script may take its chroot apart (its run id lets it by); another run id may not", () => {
    const chroot = `${work}/own`;
    const out = `${work}/own.out`;
    const script = `#!/bin/sh
C="$1"; OUT="$2"
mkdir -p "$C/proc" && mount -t proc proc "$C/proc"
ISOSWARM_RUN_ID=someone-else-1 "${process.execPath}" "${CLI}" unmount "$C" > "$OUT.other" 2>&1; echo "other $?" >> "$OUT"
"${process.execPath}" "${CLI}" unmount "$C" > "$OUT.own" 2>&1; echo "own $?" >> "$OUT"
`;
    writeFileSync(`${work}/own.sh`, script, { mode: 0o755 });
    const r = cliSync(
      env,
      ['run', '--no-tune', '--name', 'own', '--chroot', chroot, '--', `${work}/own.sh`, chroot, out],
      undefined,
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    const other = readFileSync(`${out}.other`, 'utf8');
    assert.equal(
      readFileSync(out, 'utf8'),
      'other 3\nown 0\n',
      `other: ${other}\nown: ${readFileSync(`${out}.own`, 'utf8')}`,
    );
    assert.match(other, /is in use by a build: run own-\S+ \(guardian pid \d+\) is building in it/);
    assert.equal(existsSync(chroot), false, "the run's post-task deleted its tree");
  });

  test('a run on a tree whose lock a cleanup holds is refused (exit 3) before its build starts', async () => {
    const chroot = `${work}/held`;
    mkdirSync(chroot);
    const lock = await acquireTargetLock(chroot);
    assert.ok(lock, 'the test holds the lock as a cleanup would');
    try {
      const r = cliSync(
        env,
        ['run', '--no-tune', '--name', 'blocked', '--chroot', chroot, '--', 'touch', `${work}/held-build-ran`],
        undefined,
        120_000,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /refusing to start on .*: a cleanup or teardown of .* is running; nothing was changed/);
      assert.equal(existsSync(`${work}/held-build-ran`), false, 'the build never started');
      assert.equal(existsSync(chroot), true);
    } finally {
      await lock.release();
    }
  });
});
