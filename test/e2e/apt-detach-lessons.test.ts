// What a run learns from its apt cache detach: a detach refused while the build's overlay was busy,
// asked again after the teardown, counts the whole build (the download staged the first time, the
// hits seen before the chroot was deleted); a session a reap ended in between (another build's
// request came first) is answered as ended, with its use recorded once; neither stores a
// cache-detach-failed lesson, while a detach that still cannot end does (and the next pre-flight
// reads it). Real swarm, real overlays, the run's own post-task code.
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { preflight } from '../../src/run/preflight.js';
import { aptSwarm } from '../helpers/apt-swarm.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';

type Stats = { hits: number; misses: number; tracking: string; bytesDownloaded: number };

const ARCHIVES = 'var/cache/apt/archives';

describe('the apt cache detach a run asks for, and what it stores', { skip: needsRoot() }, () => {
  const sw = aptSwarm('apt-lessons');
  const { apt, coordinator, lessons, builds } = sw;

  /** A chroot with the cache attached, whose build installed the cached package and downloaded `dl`. */
  async function builtWithCache(name: string, dl: string): Promise<string> {
    const chroot = sw.chroot(name);
    await coordinator('cache-attach', { chroot });
    mkdirSync(`${chroot}/var/lib/dpkg`, { recursive: true });
    const para = (p: string, v: string) =>
      `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${v}\n`;
    writeFileSync(`${chroot}/var/lib/dpkg/status`, [para('old', '1.0'), para(dl, '2.0')].join('\n'));
    writeFileSync(`${chroot}/${ARCHIVES}/${dl}_2.0_amd64.deb`, readFileSync(makeDeb(sw.debs, dl, '2.0', 30_000)));
    // apt-get clean a moment later (after the tuner captured the download), as apt's own comes after unpacking.
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(`${chroot}/${ARCHIVES}/${dl}_2.0_amd64.deb`);
    return chroot;
  }

  /**
   * Post-task for `chroot`, whose overlay a file held open keeps busy at the first detach (it is
   * refused) and is closed right after, so that the teardown takes the overlay. `afterFirst` runs
   * right after the first detach (before the teardown), `beforeSecond` after the teardown.
   */
  async function postTaskBusyFirst(
    chroot: string,
    hooks: { afterFirst?: () => Promise<unknown>; beforeSecond?: () => Promise<unknown> },
  ) {
    const busy = openSync(`${chroot}/${ARCHIVES}/old_1.0_amd64.deb`, 'r');
    let open = true;
    const detaches: { sessionEnded?: boolean; endedEarlier?: unknown; harvestedInto?: string }[] = [];
    const call = async <T>(ep: string, payload: unknown): Promise<T> => {
      if (ep !== 'cache-detach') return coordinator<T>(ep, payload);
      if (detaches.length === 1) await hooks.beforeSecond?.();
      try {
        const d = await coordinator<T>(ep, payload);
        detaches.push(d as never);
        if (detaches.length === 1) await hooks.afterFirst?.();
        return d;
      } finally {
        if (open) closeSync(busy);
        open = false;
      }
    };
    try {
      const r = await sw.postTask(chroot, call);
      return { r, detaches, stats: r.cache as unknown as Stats | undefined };
    } finally {
      if (open) closeSync(busy);
    }
  }

  test('a refused detach asked again after the teardown counts the whole build', async () => {
    const chroot = await builtWithCache('again', 'new');
    const buildsBefore = await builds();
    const third = sw.chroot('third');
    // Another build attaches before the teardown: the second detach stages too (its lower layer).
    const { r, detaches, stats } = await postTaskBusyFirst(chroot, {
      afterFirst: () => coordinator('cache-attach', { chroot: third }),
    });
    assert.equal(await builds(), buildsBefore + 1, 'its use recorded once');
    await coordinator('cache-detach', { chroot: third });
    assert.equal(detaches.length, 2, JSON.stringify(r.notes));
    assert.equal(detaches[0]!.sessionEnded, false, 'the first detach was refused: the overlay was busy');
    assert.equal(detaches[0]!.harvestedInto, 'staged', 'its download staged then (the overlay was still mounted)');
    assert.equal(detaches[1]!.sessionEnded, true);
    assert.equal(detaches[1]!.harvestedInto, 'staged', 'another build had the cache attached then');
    assert.equal(existsSync(chroot), false, 'the chroot was deleted before the second detach');
    assert.equal(stats?.misses, 1, `the download staged by the first detach: ${JSON.stringify(stats)}`);
    assert.equal(stats?.hits, 1, `the hit seen before the chroot went: ${JSON.stringify(stats)}`);
    assert.equal(stats?.tracking, 'lookup');
    assert.ok(existsSync(`${apt}/new_2.0_amd64.deb`), "the download is in the cache (after the other build's detach)");
    assert.deepEqual(await lessons(chroot), []);
  });

  test("a session a reap ended before the run's detach: answered as ended, no lesson", async () => {
    const chroot = await builtWithCache('reaped', 'fresh');
    const other = sw.chroot('other');
    const buildsBefore = await builds();
    // Another build attaches between the teardown and this run's second detach: its attach reaps.
    const { r, detaches, stats } = await postTaskBusyFirst(chroot, {
      beforeSecond: () => coordinator('cache-attach', { chroot: other }),
    });
    try {
      assert.deepEqual(await lessons(chroot), [], 'no cache-detach-failed lesson');
      assert.equal(detaches.length, 2, JSON.stringify(r.notes));
      // The premise: the teardown took the overlay (seen once not to, under load, with no record of why).
      assert.equal(
        r.teardown?.status,
        'done',
        `the teardown: ${JSON.stringify(r.teardown)} ${JSON.stringify(r.notes)}`,
      );
      assert.ok(detaches[1]!.endedEarlier, `answered as ended: ${JSON.stringify(detaches[1])}`);
      assert.ok(
        r.notes?.some((n) => /apt cache session had ended at .*mounted nowhere/.test(n)),
        JSON.stringify(r.notes),
      );
      assert.equal(stats?.misses, 1, JSON.stringify(stats));
      assert.equal(stats?.hits, 1, JSON.stringify(stats));
      assert.equal(await builds(), buildsBefore + 1, 'the reap recorded its use, once');
    } finally {
      await coordinator('cache-detach', { chroot: other });
    }
  });

  test("a detach that still cannot end after the teardown stores the lesson; the next run's pre-flight reads it", async () => {
    const chroot = await builtWithCache('held', 'kept');
    // A copy of the overlay outside the chroot (someone's bind of it): no teardown of the chroot takes it.
    const copy = sw.chroot('copy');
    assert.equal(spawnSync('mount', ['--bind', `${chroot}/${ARCHIVES}`, copy]).status, 0);
    try {
      const r = await sw.postTask(chroot);
      assert.equal((await lessons(chroot)).length, 1, `a true failure is still a lesson: ${JSON.stringify(r.notes)}`);
      const checks = await preflight(coordinator, 'apt-lessons', chroot);
      const busy = checks.find((c) => c.check === 'cache-busy');
      assert.ok(busy, `the pre-flight reads it: ${JSON.stringify(checks)}`);
      assert.match(busy.from.what, /could not be detached/);
    } finally {
      spawnSync('umount', [copy]);
    }
    const d = await coordinator<{ sessionEnded: boolean }>('cache-detach', { chroot });
    assert.equal(d.sessionEnded, true, 'ended once the copy went');
  });
});
