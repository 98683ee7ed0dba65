// Over 250 lines on purpose: the kill scenarios share one chroot fixture with three mounts and a daemon.
// The CI-kill scenario: `isoswarm run` is SIGKILLed mid-build while the build holds three mounts in its
// chroot (proc, a tmpfs, a /dev bind made a slave) and a daemon runs inside it. The swarm owns the run:
// within the lease time plus the grace period the build is ended, the chroot unmounted and deleted by
// policy, and a record marked "runner lost" is written and rendered. Then the same with the
// coordinator killed too: the next coordinator adopts the lapsed run.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { assertHostUnchanged, hostSnapshot } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';

const LEASE_MS = 3000;
const GRACE_MS = 3000;

const BUILD = `#!/bin/bash
set -eu
C="$1"; TAG="$2"
mkdir -p "$C"/{proc,dev,tmp,usr/bin}
for f in /usr/bin/sleep $(ldd /usr/bin/sleep | grep -o '/[^ ]*'); do mkdir -p "$C$(dirname "$f")"; cp -L "$f" "$C$f"; done
mount -t proc proc "$C/proc"
mount -t tmpfs tmpfs "$C/tmp"
mount --bind /dev "$C/dev"
mount --make-slave "$C/dev"
setsid chroot "$C" /usr/bin/sleep "$TAG.1" </dev/null >/dev/null 2>&1 &
echo "build: mounted, working"
while :; do sleep "$TAG.2"; done
`;

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** PIDs whose command line carries the tag (the build's sleep and the daemon). */
function tagged(tag: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if (readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(tag)) out.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface RunsJson {
  active: { runId: string; state: string }[];
  recent: { runId: string; state: string; report: string | null; exitCode: number | null }[];
}

describe('a run survives the death of its own CLI', { skip: needsRoot() }, () => {
  const home = scratchHome('runner-lost');
  const work = mkdtempSync('/tmp/isoswarm-test-runner-lost-work-');
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
    // Whatever a failed test left running is ended by its tag (only our own sleeps carry it).
    for (const t of tags) for (const pid of tagged(`${t}.`)) process.kill(pid, 'SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  async function startAndKill(
    name: string,
    killCoordinator: boolean,
  ): Promise<{ runId: string; killedAt: number; tag: string; chroot: string }> {
    const chroot = `${work}/${name}/chroot`;
    const tag = String(1000 + Math.floor(Math.random() * 8000));
    tags.push(tag);
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--no-tune', '--chroot', chroot, '--name', name, '--', `${work}/build.sh`, chroot, tag],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      'the build to mount and start working',
      () => out.includes('build: mounted, working') && mountsUnder(chroot).length >= 3 && tagged(`${tag}.1`).length > 0,
      60_000,
    );
    const runs = JSON.parse(cliSync(env, ['runs', '--json']).stdout) as RunsJson;
    const active = runs.active.find((r) => r.runId.startsWith(name));
    assert.ok(active, `the run is not listed as active: ${JSON.stringify(runs)}`);
    assert.equal(active.state, 'running');
    if (killCoordinator) {
      const rf = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as { coordinator: { pid: number } };
      process.kill(rf.coordinator.pid, 'SIGKILL');
    }
    process.kill(child.pid!, 'SIGKILL');
    return { runId: active.runId, killedAt: Date.now(), tag, chroot };
  }

  async function assertFinished(
    r: { runId: string; killedAt: number; tag: string; chroot: string },
    boundMs: number,
  ): Promise<number> {
    const gone = await waitFor(
      'the build and its daemon to be gone',
      () => tagged(`${r.tag}.`).length === 0,
      boundMs + 30_000,
    );
    assert.ok(gone);
    const processesGoneMs = Date.now() - r.killedAt;
    const done = await waitFor(
      'the swarm to finish the run',
      () => {
        const runs = JSON.parse(cliSync(env, ['runs', '--json']).stdout) as RunsJson;
        return runs.recent.find((x) => x.runId === r.runId && x.state === 'done (runner lost)');
      },
      boundMs + 60_000,
    );
    const finishedMs = Date.now() - r.killedAt;
    assert.deepEqual(mountsUnder(r.chroot), [], 'still mounted under the chroot');
    assert.equal(existsSync(r.chroot), false, 'the chroot was not deleted');
    assert.ok(done.report && existsSync(done.report), 'no HTML report');
    const rec = JSON.parse(readFileSync(`${home}/runs/${r.runId}.json`, 'utf8')) as {
      runnerLost?: { reason: string };
      notes: string[];
      teardown: { status: string; unmounted: string[] } | null;
      clean: { status: string } | null;
    };
    assert.ok(rec.runnerLost, 'the record is not marked runner lost');
    assert.ok(
      rec.notes.some((n) => n.startsWith('runner lost')),
      rec.notes.join('\n'),
    );
    assert.equal(rec.teardown?.status, 'done');
    assert.ok((rec.teardown?.unmounted.length ?? 0) >= 3, `unmounted: ${rec.teardown?.unmounted.join(', ')}`);
    const md = cliSync(env, ['report', r.runId, '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /runner lost/);
    const status = cliSync(env, ['status']);
    assert.match(status.stdout, new RegExp(`${r.runId}.*done \\(runner lost\\)`));
    process.stderr.write(
      `# ${r.runId}: processes gone ${processesGoneMs} ms, run finished ${finishedMs} ms after the kill (lease ${LEASE_MS} + grace ${GRACE_MS} ms)\n`,
    );
    return finishedMs;
  }

  test('CLI SIGKILLed mid-build: the coordinator finishes the run', async () => {
    const snap = hostSnapshot();
    const r = await startAndKill('ci-kill', false);
    const ms = await assertFinished(r, LEASE_MS + GRACE_MS);
    assert.ok(ms <= LEASE_MS + GRACE_MS, `finished ${ms} ms after the kill: over lease + grace`);
    assertHostUnchanged(snap);
  });

  test('CLI and coordinator SIGKILLed: the next coordinator adopts the lapsed run', async () => {
    const snap = hostSnapshot();
    const r = await startAndKill('ci-kill-coord', true);
    // The guardian alone ends the build, with no coordinator running.
    await waitFor(
      'the build to be ended by its guardian',
      () => tagged(`${r.tag}.2`).length === 0,
      LEASE_MS + GRACE_MS + 10_000,
    );
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
    await assertFinished(r, LEASE_MS + GRACE_MS);
    assertHostUnchanged(snap);
  });

  test("run --attach follows a running build's output and exits with its code", async () => {
    const script = `${work}/attach.sh`;
    writeFileSync(script, '#!/bin/bash\necho "line A"\nsleep 2\necho "line B" >&2\nexit 7\n', { mode: 0o755 });
    const child = spawn(process.execPath, [CLI, 'run', '--no-tune', '--name', 'attach-me', '--', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await waitFor('line A', () => out.includes('line A'), 60_000);
    const runs = JSON.parse(cliSync(env, ['runs', '--json']).stdout) as RunsJson;
    const id = runs.active.find((r) => r.runId.startsWith('attach-me'))?.runId;
    assert.ok(id, JSON.stringify(runs));
    const a = cliSync(env, ['run', '--attach', id], undefined, 60_000);
    assert.equal(a.code, 7, a.stderr);
    assert.match(a.stdout, /line A/);
    assert.match(a.stderr, /line B/);
    assert.equal(await exited, 7);
    const bad = cliSync(env, ['run', '--attach', 'no-such-run']);
    assert.equal(bad.code, 2);
  });

  test("a runner that stops beating (SIGSTOP) loses its lease; resumed, it reports the swarm's record", async () => {
    const chroot = `${work}/stopped/chroot`;
    const tag = String(1000 + Math.floor(Math.random() * 8000));
    tags.push(tag);
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--no-tune',
        '--json',
        '--chroot',
        chroot,
        '--name',
        'stopped',
        '--',
        `${work}/build.sh`,
        chroot,
        tag,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await waitFor(
      'the build to start working',
      () => err.includes('build: mounted, working') && tagged(`${tag}.1`).length > 0,
      60_000,
    );
    const stoppedAt = Date.now();
    process.kill(child.pid!, 'SIGSTOP');
    await waitFor(
      'the lapsed run to be finished by the swarm',
      () => {
        const runs = JSON.parse(cliSync(env, ['runs', '--json']).stdout) as RunsJson;
        return runs.recent.find((x) => x.runId.startsWith('stopped') && x.state === 'done (runner lost)');
      },
      LEASE_MS + GRACE_MS + 60_000,
    );
    const lostMs = Date.now() - stoppedAt;
    assert.ok(lostMs >= LEASE_MS, `taken over after ${lostMs} ms, before the lease (${LEASE_MS} ms) ran out`);
    assert.deepEqual(tagged(`${tag}.`), []);
    assert.equal(existsSync(chroot), false);
    process.kill(child.pid!, 'SIGCONT');
    const code = await exited;
    const rec = JSON.parse(out) as { runnerLost?: unknown; exitCode: number };
    assert.ok(rec.runnerLost, out);
    assert.equal(code, rec.exitCode);
    process.stderr.write(
      `# stopped runner: taken over and finished ${lostMs} ms after SIGSTOP (lease ${LEASE_MS} ms)\n`,
    );
  });
});
