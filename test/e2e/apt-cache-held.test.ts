// While a build has the apt cache attached (its host dir is the overlay's lower layer), a cleanup of
// the cache dir is refused and says why: the reactor's on a disk alert goes the same way. Once the
// cache is detached, the same cleanup evicts it. Real swarm, real overlay mount.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { requestEndpoint } from '../../src/bus/request.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { replyOrRefusal } from '../../src/schemas/bus-error.js';
import { rawClient } from '../helpers/bus.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

type Clean = { result?: { targets?: { status: string; reason?: string }[] } | null };
type Nc = Awaited<ReturnType<typeof rawClient>>;

describe('the apt cache while a build has it attached', { skip: needsRoot() }, () => {
  const home = scratchHome('apt-held');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-apt-held-'));
  const apt = `${scratch}/apt`;
  const chroot = `${scratch}/chroot`;
  const second = `${scratch}/second`;
  const env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
  before(() => {
    mkdirSync(apt);
    mkdirSync(chroot);
    mkdirSync(second);
    for (let i = 0; i < 3; i++) writeFileSync(`${apt}/p${i}_1.0_amd64.deb`, Buffer.alloc(4096, i));
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] }, caches: { aptDir: apt, aptLimitBytes: 1 } }),
    );
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  /** A clean of the whole cache dir (limit 0: every package goes) by the Cleaner. */
  const cleanCache = (nc: Nc) =>
    replyOrRefusal(
      requestEndpoint<Clean>(
        nc,
        'isoswarm',
        'cleaner',
        'clean',
        { targets: [{ path: apt, kind: 'cache', limitBytes: 0 }] },
        60_000,
      ),
    );
  after(() => {
    for (const c of [chroot, second]) cliSync(env, ['unmount', c], undefined, 60_000);
    teardownHome(home);
    removeScratch(scratch);
  });

  test('a cleanup of the cache dir is refused while attached, and evicts once detached', async () => {
    const nc = await rawClient(home);
    const clean = () => cleanCache(nc);
    try {
      await requestEndpoint(nc, 'isoswarm', 'performance-tuner', 'cache-attach', { chroot }, 60_000);
      assert.ok(
        (await readMountinfo()).some((m) => m.mountPoint === `${chroot}/var/cache/apt/archives`),
        'the cache is mounted into the chroot',
      );
      const held = await clean();
      const t = held.result?.targets?.[0];
      assert.notEqual(t?.status, 'done', JSON.stringify(held));
      assert.match(
        t?.reason ?? '',
        /apt is in use: the apt cache is mounted into a running build by the tuner \(pid \d+\)/,
        JSON.stringify(held),
      );
      assert.equal(readdirSync(apt).filter((n) => n.endsWith('.deb')).length, 3, 'nothing was evicted');

      await requestEndpoint(nc, 'isoswarm', 'performance-tuner', 'cache-detach', { chroot }, 60_000);
      const freed = await clean();
      assert.equal(freed.result?.targets?.[0]?.status, 'done', JSON.stringify(freed));
      assert.equal(readdirSync(apt).filter((n) => n.endsWith('.deb')).length, 0, 'evicted once detached');
    } finally {
      await nc.close();
    }
    assert.ok(existsSync(chroot));
  });
  test("the tuner's own eviction waits for the last build that has the cache attached", async () => {
    const nc = await rawClient(home);
    const debs = () => readdirSync(apt).filter((n) => n.endsWith('.deb')).length;
    type Stats = { evicted: number; hits: number; misses: number; limitBytes: number; tracking: string };
    const call = (op: string, c: string) =>
      requestEndpoint<{ stats?: Stats }>(nc, 'isoswarm', 'performance-tuner', op, { chroot: c }, 60_000);
    try {
      for (let i = 0; i < 3; i++) writeFileSync(`${apt}/q${i}_1.0_amd64.deb`, Buffer.alloc(4096, i));
      await call('cache-attach', chroot);
      await call('cache-attach', second);
      // A limit of 1 byte: a detach with nobody else attached evicts every package no build used
      // (one the cache saw read since the attach counts as used, by its atime, and stays).
      const first = (await call('cache-detach', chroot)).stats;
      assert.equal(first?.evicted, 0, JSON.stringify(first));
      assert.equal(debs(), 3, 'the second build still has the cache as its lower layer: nothing evicted');
      const last = (await call('cache-detach', second)).stats;
      assert.ok(last, 'the last detach reports');
      if (last.tracking !== 'unavailable')
        assert.equal(
          last.evicted + last.hits + last.misses,
          3,
          `each package evicted or used: ${JSON.stringify(last)}`,
        );
      assert.equal(debs(), 3 - last.evicted, 'the last detach evicts what it says');
    } finally {
      await nc.close();
    }
  });
  test('a tuner killed and started again takes back the overlay it had mounted, and its hold', async (t) => {
    const nc = await rawClient(home);
    const tunerPid = (): number | null => {
      const st = cliSync(env, ['status', '--json']);
      const rows = (JSON.parse(st.stdout) as { services: { name: string; pid: number | null; state: string }[] })
        .services;
      const r = rows.find((x) => x.name === 'performance-tuner' && x.state === 'running');
      return r?.pid ?? null;
    };
    const call = (op: string) =>
      requestEndpoint<{ stats?: { tracking: string }; unbind?: { unmounted: boolean; reason: string } }>(
        nc,
        'isoswarm',
        'performance-tuner',
        op,
        { chroot },
        60_000,
      );
    const clean = () => cleanCache(nc);
    const mounted = async () =>
      (await readMountinfo()).some((m) => m.mountPoint === `${chroot}/var/cache/apt/archives`);
    try {
      writeFileSync(`${apt}/r0_1.0_amd64.deb`, Buffer.alloc(4096, 7));
      await call('cache-attach');
      const before = tunerPid();
      assert.ok(before, 'the tuner runs');
      process.kill(before, 'SIGKILL');
      // Not cleaned meanwhile either: the dying tuner's lock, then the overlay's layer, refuse it.
      const meanwhile = (await clean()).result?.targets?.[0];
      assert.notEqual(meanwhile?.status, 'done', JSON.stringify(meanwhile));
      let now: number | null = null;
      for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
        now = tunerPid();
        if (now && now !== before) break;
      }
      assert.ok(now && now !== before, `a new tuner (was pid ${before}, now ${now})`);
      t.diagnostic(`tuner pid ${before} killed, back as pid ${now}`);
      assert.ok(await mounted(), 'the build still has its overlay');
      // The cache is held again: the clean is refused and names the new tuner (once it took the overlay back).
      const byTuner = new RegExp(`mounted into a running build by the tuner \\(pid ${now}\\)`);
      let held: Clean | undefined;
      for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
        held = await clean();
        assert.notEqual(held.result?.targets?.[0]?.status, 'done', JSON.stringify(held));
        if (byTuner.test(held.result?.targets?.[0]?.reason ?? '')) break;
      }
      assert.match(held?.result?.targets?.[0]?.reason ?? '', byTuner, JSON.stringify(held));
      assert.ok(readdirSync(apt).includes('r0_1.0_amd64.deb'), 'nothing was evicted');
      const d = await call('cache-detach');
      assert.equal(d.unbind?.unmounted, true, JSON.stringify(d));
      assert.equal(await mounted(), false, 'the new tuner took the overlay out');
      const freed = await clean();
      assert.equal(freed.result?.targets?.[0]?.status, 'done', JSON.stringify(freed));
    } finally {
      await nc.close();
    }
  });
});
