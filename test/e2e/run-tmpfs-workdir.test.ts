// `isoswarm run --tmpfs-workdir`: the chroot on a tmpfs of the run's own. With real mounts: the
// tmpfs is there during the build (findmnt), the build's own mounts inside it go first and the tmpfs
// last, the empty dir is deleted, and the record says what was mounted and why that size; the next
// run sizes from what this one measured; refusals change nothing; a SIGKILLed CLI's run is finished
// by the swarm, tmpfs included.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { assertHostUnchanged, hostSnapshot } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { mountsUnder, tagged, waitFor } from '../helpers/run-watch.js';

const LEASE_MS = 3000;
// Generous: the build's sleep loop ends at the first SIGTERM; the grace only bounds the wait.
const GRACE_MS = 20_000;
const MIB = 2 ** 20;

// Writes 3 MiB into the chroot, mounts proc inside it, then works until told to stop (or killed).
const BUILD = `#!/bin/bash
set -eu
C="$1"; TAG="$2"; GO="$3"
mkdir -p "$C/proc" "$C/data"
head -c $((3 * 1024 * 1024)) /dev/urandom > "$C/data/blob"
mount -t proc proc "$C/proc"
echo "build: mounted, working"
while [ ! -e "$GO" ]; do sleep "0.$TAG"; done
echo "build: done"
# a go dir (not a file) makes the build fail after its work
[ -f "$GO" ] || { echo "build: failing" >&2; exit 3; }
`;

interface TmpfsRecord {
  path: string;
  source: string;
  sizeBytes: number;
  basis: { kind: string; bytes: number; from: string };
  mountId: number | null;
  usedBytes: number | null;
  unmounted: boolean | null;
}
interface Rec {
  runId: string;
  exitCode: number;
  tmpfs?: TmpfsRecord;
  teardown: { status: string; unmounted: string[] } | null;
  clean: { status: string } | null;
  notes: string[];
  runnerLost?: unknown;
}

function findmnt(dir: string): string {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '--mountpoint', dir], { encoding: 'utf8' });
  return r.stdout.trim();
}

describe('run --tmpfs-workdir', { skip: needsRoot() }, () => {
  const home = scratchHome('tmpfs-workdir');
  const work = mkdtempSync('/tmp/isoswarm-test-tmpfs-workdir-work-');
  const env = testEnv(home, { ISOSWARM_RUN_LEASE_MS: String(LEASE_MS), ISOSWARM_RUN_GRACE_MS: String(GRACE_MS) });
  const children: ChildProcess[] = [];
  const tags: string[] = [];
  writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
  before(() => {
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const t of tags) for (const pid of tagged(`0.${t}`)) process.kill(pid, 'SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  function start(name: string, chroot: string, extra: string[]) {
    // The build's sleeps carry it (`sleep 0.TAG`): a failed test's leftovers are found by it.
    const tag = String(1000 + Math.floor(Math.random() * 8000));
    tags.push(tag);
    const go = `${work}/${name}.go`;
    const args = [CLI, 'run', '--no-tune', '--json', '--tmpfs-workdir', ...extra, '--chroot', chroot, '--name', name];
    const child = spawn(process.execPath, [...args, '--', `${work}/build.sh`, chroot, tag, go], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const io = { out: '', err: '' };
    child.stdout!.on('data', (d: Buffer) => (io.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (io.err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    return { child, io, exited, go, tag };
  }

  test('a build in a tmpfs chroot: tmpfs during the build, nothing mounted and no dir after, the record says so', async () => {
    const snap = hostSnapshot();
    const chroot = `${work}/first/chroot`;
    const r = start('tmpfs-build', chroot, ['--tmpfs-size', '64M']);
    await waitFor('the build to mount proc', () => r.io.err.includes('build: mounted, working'), 120_000);
    // During the build: the run's tmpfs at the chroot, the build's proc inside it.
    assert.match(findmnt(chroot), /^tmpfs\s+isoswarm-tmpfs-build-/);
    assert.deepEqual(mountsUnder(chroot), [chroot, `${chroot}/proc`]);
    writeFileSync(r.go, '');
    assert.equal(await r.exited, 0, r.io.err);
    assert.deepEqual(mountsUnder(chroot), [], 'still mounted at or under the chroot');
    assert.equal(existsSync(chroot), false, 'the emptied chroot dir was not deleted');
    const rec = JSON.parse(r.io.out) as Rec;
    const t = rec.tmpfs;
    assert.ok(t, 'no tmpfs in the record');
    assert.equal(t.path, chroot);
    assert.equal(t.sizeBytes, 64 * MIB);
    assert.equal(t.basis.kind, '--tmpfs-size');
    assert.equal(typeof t.mountId, 'number');
    assert.ok((t.usedBytes ?? 0) >= 3 * MIB, `used ${t.usedBytes}`);
    assert.equal(t.unmounted, true);
    // The build's proc first, the tmpfs last.
    assert.equal(rec.teardown?.status, 'done');
    assert.deepEqual(rec.teardown?.unmounted, [`${chroot}/proc`, chroot]);
    assert.equal(rec.clean?.status, 'done');
    assert.ok(
      rec.notes.some((n) => n.startsWith(`tmpfs work dir: 64.0 MiB at ${chroot}`)),
      rec.notes.join('\n'),
    );
    assert.ok(
      rec.notes.some((n) => n.startsWith(`the tmpfs at ${chroot} was unmounted last`)),
      rec.notes.join('\n'),
    );

    // The next run of this name sizes its tmpfs from what this one measured (+25 %).
    const again = start('tmpfs-build', chroot, []);
    writeFileSync(again.go, '');
    assert.equal(await again.exited, 0, again.io.err);
    const rec2 = JSON.parse(again.io.out) as Rec;
    assert.equal(rec2.tmpfs?.basis.kind, 'measured');
    assert.equal(rec2.tmpfs?.basis.bytes, t.usedBytes);
    assert.match(rec2.tmpfs?.basis.from ?? '', new RegExp(`run ${rec.runId}`));
    assert.equal(rec2.tmpfs?.sizeBytes, Math.ceil((t.usedBytes! * 1.25) / MIB) * MIB);
    assert.deepEqual(mountsUnder(chroot), []);
    assert.equal(existsSync(chroot), false);
    assertHostUnchanged(snap);
  });

  test('a failed build and a Ctrl-C: the tmpfs goes last all the same', async () => {
    const snap = hostSnapshot();
    for (const how of ['fail', 'SIGINT'] as const) {
      const chroot = `${work}/${how}/chroot`;
      const r = start(`tmpfs-${how}`, chroot, ['--tmpfs-size', '32M']);
      await waitFor('the build to mount proc', () => r.io.err.includes('build: mounted, working'), 120_000);
      if (how === 'SIGINT') process.kill(r.child.pid!, 'SIGINT');
      // A build that fails: its go file is a directory it then tries to write as a file.
      else mkdirSync(r.go);
      const code = await r.exited;
      const rec = JSON.parse(r.io.out) as Rec;
      assert.notEqual(code, 0, r.io.err);
      assert.equal(code, rec.exitCode);
      assert.deepEqual(mountsUnder(chroot), [], `${how}: still mounted`);
      assert.equal(existsSync(chroot), false, `${how}: the chroot dir is still there`);
      assert.equal(rec.tmpfs?.unmounted, true);
      assert.deepEqual(rec.teardown?.unmounted, [`${chroot}/proc`, chroot]);
    }
    assertHostUnchanged(snap);
  });

  test('refusals exit 2 with nothing mounted: non-empty dir, too large for MemAvailable, --keep, no chroot, no basis', () => {
    const snap = hostSnapshot();
    const full = `${work}/full/chroot`;
    mkdirSync(full, { recursive: true });
    writeFileSync(`${full}/keep-me`, 'x');
    const build = ['--', `${work}/build.sh`, '/nonexistent', '0', '/nonexistent'];
    const cases: { args: string[]; why: RegExp; dir: string }[] = [
      { args: ['--chroot', full, '--tmpfs-size', '16M'], why: /not-empty/, dir: full },
      {
        // Twice this is more memory than any test machine has available.
        args: ['--chroot', `${work}/huge/chroot`, '--tmpfs-size', '64T'],
        why: /MemAvailable .* does not hold twice the tree/,
        dir: `${work}/huge/chroot`,
      },
      {
        args: ['--chroot', `${work}/kept/chroot`, '--tmpfs-size', '16M', '--keep'],
        why: /--keep/,
        dir: `${work}/kept/chroot`,
      },
      { args: ['--tmpfs-size', '16M'], why: /needs a chroot/, dir: `${work}/none` },
      { args: ['--chroot', `${work}/never/chroot`], why: /no measured size/, dir: `${work}/never/chroot` },
    ];
    for (const c of cases) {
      const r = cliSync(
        env,
        ['run', '--no-tune', '--tmpfs-workdir', '--name', 'refused-tmpfs', ...c.args, ...build],
        undefined,
        120_000,
      );
      assert.equal(r.code, 2, `${c.args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, c.why);
      assert.deepEqual(mountsUnder(c.dir), [], `mounted at ${c.dir}`);
      if (c.dir !== full) assert.equal(existsSync(c.dir), false, `${c.dir} was created`);
    }
    assert.equal(readFileSync(`${full}/keep-me`, 'utf8'), 'x');
    assertHostUnchanged(snap);
  });

  test('CLI SIGKILLed mid-build: the swarm ends the build and takes the tmpfs down', async () => {
    const snap = hostSnapshot();
    const chroot = `${work}/killed/chroot`;
    const r = start('tmpfs-killed', chroot, ['--tmpfs-size', '32M']);
    await waitFor('the build to mount proc', () => r.io.err.includes('build: mounted, working'), 120_000);
    assert.match(findmnt(chroot), /^tmpfs\s+isoswarm-tmpfs-killed-/);
    process.kill(r.child.pid!, 'SIGKILL');
    const killedAt = Date.now();
    // Bounded by the lease and the grace period (the grace is generous: the build ends at SIGTERM).
    await waitFor('nothing mounted at the chroot', () => mountsUnder(chroot).length === 0, LEASE_MS + GRACE_MS);
    const ms = Date.now() - killedAt;
    const done = await waitFor(
      'the swarm to finish the run',
      () => {
        const runs = JSON.parse(cliSync(env, ['runs', '--json']).stdout) as {
          recent: { runId: string; state: string }[];
        };
        return runs.recent.find((x) => x.runId.startsWith('tmpfs-killed') && x.state === 'done (runner lost)');
      },
      120_000,
    );
    const rec = JSON.parse(readFileSync(`${home}/runs/${done.runId}.json`, 'utf8')) as Rec;
    assert.ok(rec.runnerLost, 'not marked runner lost');
    assert.equal(rec.tmpfs?.unmounted, true);
    assert.deepEqual(rec.teardown?.unmounted, [`${chroot}/proc`, chroot]);
    assert.equal(existsSync(chroot), false);
    assert.deepEqual(tagged(`0.${r.tag}`), []);
    process.stderr.write(`# tmpfs gone ${ms} ms after the CLI's SIGKILL (lease ${LEASE_MS} + grace ${GRACE_MS} ms)\n`);
    assertHostUnchanged(snap);
  });
});
