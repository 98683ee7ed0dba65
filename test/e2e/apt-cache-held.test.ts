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
  after(() => {
    for (const c of [chroot, second]) cliSync(env, ['unmount', c], undefined, 60_000);
    teardownHome(home);
    removeScratch(scratch);
  });

  test('a cleanup of the cache dir is refused while attached, and evicts once detached', async () => {
    const nc = await rawClient(home);
    const clean = () =>
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
});
