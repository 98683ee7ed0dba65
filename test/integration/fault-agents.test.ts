// kill -9 of an agent in the middle of its task, with the request relayed by the coordinator as the
// CLI sends it: the caller gets a clear `agent-died` error at once (not a 30-minute wait), the agent
// comes back, the next request completes, and the host is intact (canaries, /dev/null, mount table).
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { isTrashName } from '../../src/host/delete/safe-delete.js';
import { pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import {
  bindHost,
  canariesIntact,
  debootstrapMounts,
  isRunning,
  startProcess,
  waitRooted,
  withFixture,
  writeCanary,
} from '../helpers/chroot-fixture.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome, processesOfHome } from '../helpers/home-processes.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { needsRoot } from '../helpers/root.js';
import { makeTree } from './tuner-trees.js';

interface Reply<T> {
  ok: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
}

async function call<T>(
  nc: NatsConnection,
  endpoint: string,
  payload: unknown,
  timeoutMs: number,
): Promise<{ reply: Reply<T>; ms: number }> {
  const t = performance.now();
  const m = await nc.request(`${SUBJ}.coordinator.${endpoint}`, new TextEncoder().encode(JSON.stringify(payload)), {
    timeout: timeoutMs,
  });
  return { reply: JSON.parse(new TextDecoder().decode(m.data)) as Reply<T>, ms: performance.now() - t };
}

async function pidOf(nc: NatsConnection, name: string, not?: number, waitMs = 6000): Promise<number> {
  const end = Date.now() + waitMs;
  while (Date.now() < end) {
    const p = (await pingNames(nc)).find((s) => s.name === name && s.pid !== not)?.pid;
    if (p) return p;
  }
  throw new Error(`${name} does not answer PING`);
}

async function until(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const t = readFileSync(`/proc/${n}/stat`, 'utf8');
        return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('kill -9 of an agent in the middle of a task', { skip: needsRoot() }, () => {
  const home = scratchHome('fault-agents');
  let nc: NatsConnection;
  before(async () => {
    // The tuner's scratch copies go under the test's own dir, so a killed tune leaves nothing in /tmp.
    mkdirSync(`${home}/tmp`);
    const r = cliSync(testEnv(home, { TMPDIR: `${home}/tmp` }), ['up']);
    assert.equal(r.code, 0, r.stderr);
    nc = await rawClient(home, 'cli');
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    assert.deepEqual(await finishHome(home), [], 'processes left after down');
  });

  test('unmounter killed while a SIGTERM-ignoring process holds the teardown: error reply, the next teardown completes, host intact', async () => {
    await withFixture('fault-unmount', async (fx) => {
      await debootstrapMounts(fx.chroot);
      mkdirSync(`${fx.scratch}/host-data`);
      writeCanary(fx, `${fx.scratch}/host-data/canary`);
      await bindHost(`${fx.scratch}/host-data`, `${fx.chroot}/mnt`);
      const stubborn = startProcess(fx, 'chroot', [fx.chroot, 'sh', '-c', "trap '' TERM; while :; do sleep 1; done"]);
      await waitRooted(stubborn, fx.chroot);
      const unmounter = await pidOf(nc, 'unmounter');
      const journalDir = join(home, 'journal', 'unmounter');

      const pending = call<unknown>(nc, 'teardown', { target: fx.chroot, graceMs: 60_000 }, 20_000);
      // Killed while it waits out the grace period of the process that ignores SIGTERM.
      await until(
        'the terminate step in the journal',
        () =>
          existsSync(journalDir) &&
          readdirSync(journalDir).some((f) => readFileSync(join(journalDir, f), 'utf8').includes('"terminate"')),
        10_000,
      );
      const killedAt = performance.now();
      process.kill(unmounter, 'SIGKILL');
      const { reply } = await pending;
      const waited = performance.now() - killedAt;
      assert.equal(reply.ok, false);
      assert.equal(reply.error?.code, 'agent-died', reply.error?.message);
      assert.match(reply.error!.message, /unmounter \(pid \d+\) died \(SIGKILL\)/);
      assert.ok(waited < 2000, `the caller learned of it in ${waited.toFixed(0)} ms`);
      assert.ok(isRunning(stubborn), 'the chroot process still runs: the teardown did not finish');
      assert.ok(mountsUnder(readMountsSync(), fx.chroot).length > 0);

      await pidOf(nc, 'unmounter', unmounter);
      const again = await call<{ result: { status: string; signalled: { outcome: string }[] } }>(
        nc,
        'teardown',
        { target: fx.chroot, graceMs: 300 },
        30_000,
      );
      assert.equal(again.reply.ok, true, again.reply.error?.message);
      assert.equal(again.reply.data!.result.status, 'done');
      await until('the stubborn process to die', () => !isRunning(stubborn), 3000);
      assert.deepEqual(mountsUnder(readMountsSync(), fx.chroot), []);
      assert.deepEqual(canariesIntact(fx), []);
    });
  });

  test('tuner killed in the middle of a tune on a real tree: error reply, its compressor ended, the next tune completes', async () => {
    const tree = `${home}/tree`;
    makeTree(tree, 'binary', 48 << 20, 3);
    const tuner = await pidOf(nc, 'performance-tuner');
    const pending = call<unknown>(nc, 'tune', { target: tree, mode: 'conservative', force: true }, 120_000);
    // Killed while mksquashfs (its child, in its process group) is compressing the sample.
    const cmdline = (p: number) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return ''; // gone meanwhile
      }
    };
    await until(
      'mksquashfs under the tuner',
      () => groupMembers(tuner).some((p) => cmdline(p).startsWith('mksquashfs')),
      30_000,
    );
    process.kill(tuner, 'SIGKILL');
    const killedAt = performance.now();
    const { reply } = await pending;
    assert.equal(reply.error?.code, 'agent-died', JSON.stringify(reply).slice(0, 300));
    assert.ok(performance.now() - killedAt < 2000);
    await until("the dead tuner's process group to be empty", () => groupMembers(tuner).length === 0, 3000);
    assert.deepEqual(
      processesOfHome(home).filter((p) => /mksquashfs|unsquashfs/.test(p.cmd)),
      [],
    );

    await pidOf(nc, 'performance-tuner', tuner);
    const again = await call<{ env: Record<string, string> }>(
      nc,
      'tune',
      { target: tree, mode: 'conservative' },
      120_000,
    );
    assert.equal(again.reply.ok, true, again.reply.error?.message);
    assert.match(again.reply.data!.env.MKSQUASHFS_OPTS ?? '', /-comp/);
  });

  test('cleaner killed while deleting a large tree: error reply, the next clean finishes the trash from its journal, nothing else touched', async () => {
    const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-fault-clean-'));
    try {
      const tree = `${scratch}/tree`;
      for (let d = 0; d < 240; d++) {
        mkdirSync(`${tree}/d${d}`, { recursive: true });
        for (let f = 0; f < 250; f++) writeFileSync(`${tree}/d${d}/f${f}`, 'x');
      }
      writeFileSync(`${scratch}/keep`, 'keep me\n');
      const cleaner = await pidOf(nc, 'cleaner');
      const pending = call<unknown>(nc, 'clean', { targets: [{ path: tree, kind: 'tree' }] }, 60_000);
      // Killed once the tree was moved aside and its deletion began.
      await until('the tree to be moved aside', () => readdirSync(scratch).some(isTrashName), 20_000);
      process.kill(cleaner, 'SIGKILL');
      const killedAt = performance.now();
      const { reply } = await pending;
      assert.equal(reply.error?.code, 'agent-died', JSON.stringify(reply).slice(0, 300));
      assert.ok(performance.now() - killedAt < 2000);
      const trash = readdirSync(scratch).filter(isTrashName);
      assert.equal(trash.length, 1, 'the half-deleted tree waits aside');

      await pidOf(nc, 'cleaner', cleaner);
      // The restarted cleaner finishes the journalled trash by itself or when asked again; while it is
      // at it, the target is locked and a request is refused as such (then retried here).
      type Clean = {
        result: { status: string; targets: { status: string; code?: string; resumed?: { trash: string[] } }[] };
      };
      let last: Clean['result'] | undefined;
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const again = await call<Clean>(nc, 'clean', { targets: [{ path: tree, kind: 'tree' }] }, 60_000);
        if (again.reply.ok) {
          last = again.reply.data!.result;
          break;
        }
        // A refusal is an error reply that carries the refusal and the reply it would have been.
        const details = again.reply.error?.details as { refusal?: { code: string }; reply?: Clean } | undefined;
        assert.equal(again.reply.error?.code, 'locked', JSON.stringify(again.reply).slice(0, 400));
        assert.equal(details?.refusal?.code, 'locked');
        last = details?.reply?.result;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(last?.status, 'done', JSON.stringify(last).slice(0, 400));
      assert.deepEqual(readdirSync(scratch), ['keep']);
      assert.equal(readFileSync(`${scratch}/keep`, 'utf8'), 'keep me\n');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
