// The request's bash integration: a build script that sources `isoswarm shell-init` gets the
// tuner's settings in its own shell, and `--isolate` keeps a build's mounts from reaching the host.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CLI, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

describe('bash integration and isolation', () => {
  const home = scratchHome('shell-init');
  const work = mkdtempSync('/tmp/isoswarm-test-shell-init-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });

  test('optimize_performance sets PARALLEL_JOBS and MKSQUASHFS_OPTS in the calling shell', () => {
    const tree = `${work}/tree`;
    mkdirSync(`${tree}/etc`, { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(`${tree}/etc/file${i}.conf`, `setting_${i} = ${'value '.repeat(50)}\n`);
    const script = `
set -eu
source <("${process.execPath}" "${CLI}" shell-init)
init_optimization_system
optimize_performance --target "${tree}"
echo "PARALLEL_JOBS=$PARALLEL_JOBS"
echo "MKSQUASHFS_OPTS=$MKSQUASHFS_OPTS"
echo "MAKEFLAGS=$MAKEFLAGS"
`;
    const r = spawnSync('bash', ['-c', script], { env: testEnv(home), encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^PARALLEL_JOBS=\d+$/m);
    assert.match(r.stdout, /^MKSQUASHFS_OPTS=-comp \w+/m);
    assert.match(r.stdout, /^MAKEFLAGS=-j\d+$/m);
  });

  test('after init_optimization_system, mksquashfs is the shim: the call is tuned for its tree and measured', () => {
    const tree = `${work}/shim-tree`;
    mkdirSync(`${tree}/doc`, { recursive: true });
    for (let i = 0; i < 300; i++)
      writeFileSync(`${tree}/doc/page${i}.txt`, `page ${i}: ${'words and more words '.repeat(80)}\n`);
    const script = `
set -eu
source <("${process.execPath}" "${CLI}" shell-init)
init_optimization_system
echo "TOOL=$(command -v mksquashfs)"
echo "RUN=$ISOSWARM_RUN_ID"
mksquashfs "${tree}" "${work}/shim.img" -noappend -comp xz
`;
    const r = spawnSync('bash', ['-c', script], { env: testEnv(home), encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^TOOL=.*\/shims\/mksquashfs$/m);
    assert.match(
      r.stderr,
      /isoswarm: mksquashfs \S+: added -processors \d+ -mem \d+M/,
      'fill: absent options added, -comp xz kept',
    );
    // The call belongs to the script's own run (opened by init_optimization_system).
    const runId = /^RUN=(\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(runId, r.stdout);
    const calls = spawnSync(process.execPath, [CLI, 'memory', 'get', `runs/${runId}/squashfs-calls`], {
      env: testEnv(home),
      encoding: 'utf8',
    });
    assert.equal(calls.status, 0, calls.stderr);
    const list = JSON.parse(calls.stdout) as
      | { ran: string[]; measured: { exitCode: number; imageBytes: number } }[]
      | { value: { ran: string[]; measured: { exitCode: number; imageBytes: number } }[] };
    const last = (Array.isArray(list) ? list : list.value).at(-1);
    assert.ok(last?.ran.includes('xz'), "the script's compressor kept under fill");
    assert.equal(last?.measured.exitCode, 0);
    assert.ok((last?.measured.imageBytes ?? 0) > 0, 'the image size was reported back');
  });

  test("the functions exist with the request's names and Ctrl-C is not trapped", () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source <("${process.execPath}" "${CLI}" shell-init); for f in init_optimization_system optimize_cleanup optimize_unmount optimize_performance optimize_monitor generate_build_report; do type -t $f; done; trap -p INT`,
      ],
      { env: testEnv(home), encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), Array(6).fill('function'));
  });

  test('--isolate: a mount the build makes never appears in the host mount table', { skip: needsRoot() }, async () => {
    const chroot = `${work}/chroot`;
    const script = `${work}/build.sh`;
    writeFileSync(
      script,
      `#!/bin/bash\nset -e\nmkdir -p "$1/scratch"\nmount -t tmpfs -o size=1m isoswarm-isolated "$1/scratch"\ntouch "${work}/mounted"\nsleep 2\n`,
      { mode: 0o755 },
    );
    // Watch the host's mount table while the build holds its mount.
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--isolate', '--no-tune', '--chroot', chroot, '--json', '--', script, chroot],
      { env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let seenWhileMounted = 0;
    let leaked = false;
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (!existsSync(`${work}/mounted`)) return;
        seenWhileMounted++;
        if (readFileSync('/proc/self/mountinfo', 'utf8').includes('isoswarm-isolated')) leaked = true;
      }, 50);
      child.once('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    assert.ok(seenWhileMounted > 5, 'the build never reached its mount');
    assert.equal(leaked, false, "the isolated build's mount appeared on the host");
    const child2 = { stdout };
    const rec = JSON.parse(child2.stdout) as { isolate: boolean; teardown: { unmounted: string[] } | null };
    assert.equal(rec.isolate, true);
    // The host never saw it, so the teardown had nothing of it to unmount.
    assert.deepEqual(rec.teardown?.unmounted ?? [], []);
  });
});
