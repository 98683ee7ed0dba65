// isoswarm cleanup and unmount through the built CLI and a real swarm: dry runs change nothing,
// symlinks and bind mounts never let a delete reach the host, busy mounts refuse with exit 3, and a
// raw client asking the Cleaner to delete host paths is refused.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  bindHost,
  canariesIntact,
  cleanupFixture,
  createFixture,
  startProcess,
  writeCanary,
  type Fixture,
} from '../helpers/chroot-fixture.js';
import { hostSnapshot } from '../helpers/host-snapshot.js';
import { rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      out.push(`${p} ${lstatSync(p).mode}`);
      if (e.isDirectory() && !mountsUnder(p).includes(p)) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('isoswarm cleanup / unmount through the CLI', { skip: needsRoot() }, () => {
  const home = scratchHome('cleanup');
  let env: NodeJS.ProcessEnv;
  let fx: Fixture;
  let hostDir: string;

  before(async () => {
    fx = await createFixture('cleanup-cli');
    hostDir = `${fx.scratch}/host-side`;
    mkdirSync(hostDir);
    writeCanary(fx, `${hostDir}/precious`);
    // The swarm's policy: the fixture's scratch dir is the only safe prefix.
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [fx.scratch], deny: [] }, cleanup: { graceMs: 500 } }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(async () => {
    teardownHome(home);
    await cleanupFixture(fx);
  });

  test('--dry-run changes nothing: mounts, processes and tree identical; exit 0', async () => {
    mkdirSync(`${fx.chroot}/proc`, { recursive: true });
    mkdirSync(`${fx.chroot}/data/deep`, { recursive: true });
    writeFileSync(`${fx.chroot}/data/deep/file`, 'x'.repeat(10_000));
    await bindHost(hostDir, `${fx.chroot}/mnt-host`);
    const mounts = mountsUnder(fx.chroot);
    const tree = treeListing(fx.chroot);
    const snap = hostSnapshot();
    const r = cliSync(env, ['cleanup', fx.chroot, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /Mounts to unmount, in order: 1/);
    assert.deepEqual(mountsUnder(fx.chroot), mounts);
    assert.deepEqual(treeListing(fx.chroot), tree);
    assert.deepEqual(hostSnapshot().hostMounts, snap.hostMounts);
  });

  test('a busy same-filesystem bind: teardown fails (exit 1), nothing deleted, the holder is named and alive', async () => {
    const holder = startProcess(fx, 'sleep', ['1000'], { cwd: `${fx.chroot}/mnt-host` });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const r = cliSync(env, ['cleanup', fx.chroot]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FAILED .*not deleted: the teardown did not finish/);
      assert.match(r.stdout, new RegExp(`pid ${holder.pid}`));
      assert.equal(holder.exitCode, null, 'the holder outside the chroot was signalled');
      assert.ok(existsSync(`${fx.chroot}/data/deep/file`), 'the tree was deleted despite the refusal');
      assert.deepEqual(canariesIntact(fx), []);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  test('once free: the bind is unmounted, then the tree deleted; symlinks to the host are not followed', async () => {
    symlinkSync(hostDir, `${fx.chroot}/link-to-host`);
    symlinkSync(`${hostDir}/precious`, `${fx.chroot}/data/link-to-file`);
    const r = cliSync(env, ['cleanup', fx.chroot, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(existsSync(fx.chroot), false);
    assert.equal(mountsUnder(fx.chroot).length, 0);
    assert.deepEqual(canariesIntact(fx), []);
    assert.ok(existsSync(hostDir));
    const statuses = JSON.parse(r.stdout) as {
      clean: { result: { targets: { status: string; deleted: { files: number } }[] } };
    };
    assert.equal(statuses.clean.result.targets[0]?.status, 'done');
  });

  test('host paths are refused before anything happens: exit 3', () => {
    for (const bad of ['/', '/home', '/etc', `${fx.scratch}/..`, '/tmp']) {
      const r = cliSync(env, ['cleanup', bad]);
      assert.equal(r.code, 3, `${bad}: ${r.stdout}${r.stderr}`);
      const dry = cliSync(env, ['cleanup', bad, '--dry-run']);
      assert.equal(dry.code, 3, `dry run of ${bad}: ${dry.stdout}${dry.stderr}`);
    }
    const empty = cliSync(env, ['unmount', '']);
    assert.equal(empty.code, 3, empty.stdout + empty.stderr);
  });

  test("a raw client with the coordinator's credentials asking the Cleaner to delete host paths is refused", async () => {
    const nc = await rawClient(home, 'coordinator');
    try {
      for (const path of ['/', '/home', '/usr/share', `${fx.scratch}/../..`, '/var/lib/dpkg']) {
        const m = await nc.request(
          `${SUBJ}.cleaner.clean`,
          new TextEncoder().encode(JSON.stringify({ targets: [{ path, kind: 'tree' }] })),
          { timeout: 10_000 },
        );
        const body = JSON.parse(new TextDecoder().decode(m.data)) as {
          ok: boolean;
          error?: { code: string; details?: { refusal?: { code: string }; reply?: { result: { status: string } } } };
        };
        assert.ok(!body.ok && body.error?.code === 'refused', `${path}: ${JSON.stringify(body)}`);
        assert.ok(body.error?.details?.refusal?.code, `${path}: the refusal code travels in the body`);
        assert.equal(body.error?.details?.reply?.result.status, 'refused');
      }
    } finally {
      await nc.close();
    }
    assert.ok(existsSync('/usr/share'));
  });

  test('every destructive endpoint answers a refused target with an error reply carrying the refusal', async () => {
    const nc = await rawClient(home, 'coordinator');
    const ask = async (subject: string, payload: unknown) => {
      const m = await nc.request(subject, new TextEncoder().encode(JSON.stringify(payload)), { timeout: 20_000 });
      return JSON.parse(new TextDecoder().decode(m.data)) as {
        ok: boolean;
        error?: { code: string; message: string; details?: { refusal?: { code: string; reason: string } } };
      };
    };
    const before = readFileSync('/proc/self/mountinfo', 'utf8');
    try {
      const cases: [string, unknown, string][] = [
        [`${SUBJ}.unmounter.teardown`, { target: '/usr' }, 'top-level'],
        [`${SUBJ}.unmounter.teardown`, { target: `${fx.scratch}/no-such-dir` }, 'not-found'],
        [`${SUBJ}.cleaner.clean`, { targets: [{ path: '/etc', kind: 'tree' }] }, 'top-level'],
        [`${SUBJ}.performance-tuner.cache-attach`, { chroot: '/' }, 'root'],
        [
          `${SUBJ}.performance-tuner.bootstrap`,
          { target: '/usr/lib/isoswarm-never', suite: 'bookworm', mirror: 'http://deb.debian.org/debian' },
          'outside-safe-prefixes',
        ],
      ];
      for (const [subject, payload, refusalCode] of cases) {
        for (const s of [
          subject,
          subject.replace(
            /^isoswarm\.[^.]+\.[a-z-]+\.(teardown|clean|cache-attach|bootstrap)$/,
            `${SUBJ}.coordinator.$1`,
          ),
        ]) {
          const r = await ask(s, payload);
          assert.equal(r.ok, false, `${s} ${JSON.stringify(payload)}: ${JSON.stringify(r)}`);
          assert.equal(r.error?.code, 'refused', `${s}: ${JSON.stringify(r.error)}`);
          assert.equal(r.error?.details?.refusal?.code, refusalCode, `${s}: ${JSON.stringify(r.error)}`);
          assert.ok(r.error?.details?.refusal?.reason, `${s}: a reason`);
        }
      }
    } finally {
      await nc.close();
    }
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8'), before, 'nothing was mounted or unmounted');
    assert.ok(existsSync('/usr/lib') && existsSync('/etc/passwd'));
    assert.ok(!existsSync('/usr/lib/isoswarm-never'));
  });
});
