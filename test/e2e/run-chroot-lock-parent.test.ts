// A teardown or clean of a dir that *contains* a building chroot is refused too, whatever name it is
// given (a symlink to it included): the Unmounter's teardown and the Cleaner's clean (the reactor's
// requests), `isoswarm cleanup` and `isoswarm unmount`, their dry runs, which show the same refusal, and
// the MCP server's plans and actions.
// The build keeps its tree and its mount until its own post-task takes them apart; after that the
// parent can be cleaned. A run starting inside a dir whose cleanup holds the target lock is refused, and
// so is a run on a chroot with a cleanup running inside it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { requestEndpoint } from '../../src/bus/request.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { replyOrRefusal } from '../../src/schemas/bus-error.js';
import { rawClient } from '../helpers/bus.js';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { tagged, waitFor } from '../helpers/run-watch.js';

// Mounts a tmpfs in its chroot, writes into it, says it is ready, works until told to stop, and checks
// at the end that its mount and its data were left alone.
const BUILD = `#!/bin/sh
set -eu
C="$1"; READY="$2"; GO="$3"; TAG="$4"
mkdir -p "$C/var/lib" "$C/scratch"
mount -t tmpfs -o size=1m isoswarm-test "$C/scratch"
echo payload > "$C/var/lib/data"
echo inmount > "$C/scratch/data"
touch "$READY"
while [ ! -e "$GO" ]; do sleep "0.$TAG"; done
test -s "$C/var/lib/data"
test -s "$C/scratch/data"
`;

const TARGET_LOCK = fileURLToPath(new URL('../../src/host/guard/target-lock.js', import.meta.url));

type Reply = { result?: { status: string; reason?: string; targets?: { status: string; reason?: string }[] } | null };
const CONTAINS =
  /contains \S+\/builds\/tree, in use by a build: run parent-\S+ \((guardian )?pid \d+\) is building in it/;

describe('a build in a dir keeps a cleanup or teardown of that dir out', { skip: needsRoot() }, () => {
  const home = scratchHome('chroot-parent');
  const work = mkdtempSync('/tmp/isoswarm-test-chroot-parent-work-');
  const env = testEnv(home);
  const tags: string[] = [];
  writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
  before(() => {
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  after(() => {
    // The build's shell (its command line is the interpreter, then the script) and its sleeps.
    for (const t of [`sh\0${work}/build.sh\0`, ...tags.map((t) => `0.${t}`)])
      for (const pid of tagged(t)) process.kill(pid, 'SIGKILL');
    cliSync(env, ['unmount', `${work}/builds/tree`], undefined, 60_000);
    teardownHome(home);
    removeScratch(work);
  });

  test('teardown, clean, cleanup and unmount of the parent (and their dry runs) are refused while the build runs', async () => {
    const parent = `${work}/builds`;
    const chroot = `${parent}/tree`;
    mkdirSync(`${parent}/old`, { recursive: true });
    writeFileSync(`${parent}/old/file`, 'old\n');
    symlinkSync(parent, `${work}/link`);
    const tag = String(1000 + Math.floor(Math.random() * 8000));
    tags.push(tag);
    const [ready, go] = [`${work}/ready`, `${work}/go`];
    const args = ['run', '--no-tune', '--name', 'parent', '--chroot', chroot, '--'];
    const child = spawn(process.execPath, [CLI, ...args, `${work}/build.sh`, chroot, ready, go, tag], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let io = '';
    child.stdout.on('data', (d: Buffer) => (io += d.toString()));
    child.stderr.on('data', (d: Buffer) => (io += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const mounted = async () => (await readMountinfo()).some((m) => m.mountPoint === `${chroot}/scratch`);
    try {
      await waitFor('the build to be working in its chroot', () => existsSync(ready), 90_000);
      assert.ok(await mounted(), 'the build mounted its scratch tmpfs');
      const nc = await rawClient(home);
      try {
        // The reactor's two requests, for the parent and for it by its symlinked name.
        for (const target of [parent, `${work}/link`]) {
          const td = await replyOrRefusal(
            requestEndpoint<Reply>(nc, 'isoswarm', 'unmounter', 'teardown', { target }, 60_000),
          );
          assert.equal(td.result?.status, 'refused', JSON.stringify(td));
          assert.match(td.result?.reason ?? '', CONTAINS);
          const cl = await replyOrRefusal(
            requestEndpoint<Reply>(
              nc,
              'isoswarm',
              'cleaner',
              'clean',
              { targets: [{ path: target, kind: 'tree' }] },
              60_000,
            ),
          );
          assert.equal(cl.result?.targets?.[0]?.status, 'refused', JSON.stringify(cl));
          assert.match(cl.result?.targets?.[0]?.reason ?? '', CONTAINS);
        }
      } finally {
        await nc.close();
      }
      // A person's commands, real and dry: the same refusal, exit 3.
      for (const cmd of [
        ['cleanup', '--dry-run', parent],
        ['cleanup', '--force', parent],
        ['cleanup', '--force', `${work}/link`],
        ['unmount', '--dry-run', parent],
        ['unmount', parent],
      ]) {
        const r = cliSync(env, cmd, undefined, 120_000);
        assert.equal(r.code, 3, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout + r.stderr, CONTAINS, cmd.join(' '));
      }
      // The MCP server's plans and actions go to the same agents: the same refusal.
      writeFileSync(`${work}/actions.json`, JSON.stringify({ claude: { mcpActions: true } }));
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'mcp'],
        env: { ...env, ISOSWARM_CONFIG: `${work}/actions.json` } as Record<string, string>,
        stderr: 'pipe',
      });
      const mcp = new Client({ name: 'isoswarm-test', version: '1.0.0' });
      await mcp.connect(transport);
      try {
        for (const name of ['unmount_plan', 'cleanup_plan', 'unmount', 'cleanup']) {
          const r = (await mcp.callTool({ name, arguments: { target: parent } })) as { content: { text: string }[] };
          assert.match(r.content[0]?.text ?? '', CONTAINS, `mcp ${name}: ${JSON.stringify(r)}`);
        }
      } finally {
        await mcp.close();
      }
      assert.ok(await mounted(), "the build's mount is still there");
      assert.equal(readFileSync(`${chroot}/scratch/data`, 'utf8'), 'inmount\n');
      assert.equal(readFileSync(`${chroot}/var/lib/data`, 'utf8'), 'payload\n', 'the tree is intact');
      assert.equal(readFileSync(`${parent}/old/file`, 'utf8'), 'old\n', 'nothing else in the parent was deleted');
      assert.equal(child.exitCode, null, `the run is still going: ${io}`);
      assert.ok(tagged(`sh\0${work}/build.sh\0`).length > 0, 'the build is still running');
    } finally {
      writeFileSync(go, '');
    }
    assert.equal(await exited, 0, io);
    // Its own post-task took its tree apart; now the parent is no build's business.
    assert.equal(await mounted(), false, `the run's post-task unmounted its tmpfs: ${io}`);
    assert.equal(existsSync(chroot), false, `the run's post-task deleted its tree: ${io}`);
    const cu = cliSync(env, ['cleanup', '--force', parent], undefined, 120_000);
    assert.equal(cu.code, 0, cu.stdout + cu.stderr);
    assert.equal(existsSync(parent), false);
  });

  test('a run inside a dir whose cleanup holds its lock is refused (exit 3) before its build starts', async () => {
    const parent = `${work}/held`;
    mkdirSync(parent);
    const lock = await acquireTargetLock(parent);
    assert.ok(lock, 'the test holds the lock as a cleanup of the parent would');
    try {
      const r = cliSync(
        env,
        ['run', '--no-tune', '--chroot', `${parent}/a/tree`, '--', 'touch', `${work}/held-build-ran`],
        undefined,
        120_000,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        /refusing to start on .*: a cleanup or teardown of \S+\/held, which contains .* is running/,
      );
      assert.equal(existsSync(`${work}/held-build-ran`), false, 'the build never started');
      assert.equal(existsSync(`${parent}/a`), false, 'nothing was made in the parent');
    } finally {
      await lock.release();
    }
  });

  test('a run on a chroot with a cleanup running inside it is refused (exit 3) before its build starts', async () => {
    const chroot = `${work}/busy/tree`;
    mkdirSync(`${chroot}/var/cache`, { recursive: true });
    // Another process, as the Cleaner would be (this one's event loop waits on the CLI below).
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(TARGET_LOCK)});
         const l = await m.acquireTargetLock(${JSON.stringify(`${chroot}/var/cache`)});
         console.log(l ? 'held' : 'not held');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const gone = new Promise((r) => holder.once('exit', r));
    try {
      const [line] = (await once(holder.stdout, 'data')) as [Buffer];
      assert.equal(line.toString().trim(), 'held');
      const r = cliSync(
        env,
        ['run', '--no-tune', '--chroot', chroot, '--', 'touch', `${work}/busy-build-ran`],
        undefined,
        120_000,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        /refusing to start on \S+\/busy\/tree: a cleanup or teardown of \S+\/busy\/tree\/var\/cache, inside \S+\/busy\/tree, is running: isoswarm \(pid \d+\) holds the target lock; nothing was changed/,
      );
      assert.equal(existsSync(`${work}/busy-build-ran`), false, 'the build never started');
    } finally {
      holder.kill('SIGKILL');
      await gone;
    }
  });
});
