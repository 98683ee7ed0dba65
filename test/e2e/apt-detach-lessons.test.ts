// What a run learns from its apt cache detach: a detach refused while the build's overlay was busy,
// asked again after the teardown, counts the whole build (the download staged the first time, the
// hits seen before the chroot was deleted); a session a reap ended in between (another build's
// request came first) is answered as ended, with its use recorded once; neither stores a
// cache-detach-failed lesson, nor does a run whose attach was refused (it asks no detach) or
// whose detach finds no session. Real swarm, real overlays, the run's own post-task code.
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { requestEndpoint } from '../../src/bus/request.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { postTask } from '../../src/run/post-task.js';
import type { RunRecordInput } from '../../src/schemas/run-record.js';
import { rawClient } from '../helpers/bus.js';
import { cli, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';

type Nc = Awaited<ReturnType<typeof rawClient>>;
type Stats = { hits: number; misses: number; tracking: string; bytesDownloaded: number };
type Entry = { action?: string; chroot?: string };

const ARCHIVES = 'var/cache/apt/archives';

describe('the apt cache detach a run asks for, and what it stores', { skip: needsRoot() }, () => {
  const home = scratchHome('apt-lessons');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-apt-lessons-'));
  const apt = `${scratch}/apt`;
  const debs = `${scratch}/debs`;
  const env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
  const chroots: string[] = [];
  let nc: Nc;
  before(async () => {
    mkdirSync(apt);
    mkdirSync(debs);
    writeFileSync(`${apt}/old_1.0_amd64.deb`, readFileSync(makeDeb(debs, 'old', '1.0', 20_000)));
    for (const n of ['new', 'fresh']) makeDeb(debs, n, '2.0', 30_000);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] }, caches: { aptDir: apt } }),
    );
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
    nc = await rawClient(home);
  });
  after(async () => {
    await nc?.close();
    for (const c of chroots) if (existsSync(c)) cliSync(env, ['unmount', c], undefined, 60_000);
    teardownHome(home);
    removeScratch(scratch);
  });

  const coordinator = <T>(ep: string, payload: unknown): Promise<T> =>
    requestEndpoint<T>(nc, 'isoswarm', 'coordinator', ep, payload, 120_000);
  const memory = async <T>(key: string): Promise<T | null> =>
    coordinator<{ value: T }>('memory-get', { key }).then(
      (r) => r.value,
      () => null,
    );
  const lessons = async (chroot: string) =>
    ((await memory<{ entries?: Entry[] }>('optimization/error-prevention'))?.entries ?? []).filter(
      (e) => e.action === 'cache-detach' && e.chroot === chroot,
    );
  const builds = async () =>
    (await memory<{ builds?: number }>('optimization/caching-effectiveness/apt-archives'))?.builds ?? 0;

  /** A chroot with the cache attached, whose build installed the cached package and downloaded `dl`. */
  async function builtWithCache(name: string, dl: string): Promise<string> {
    const chroot = `${scratch}/${name}`;
    mkdirSync(chroot);
    chroots.push(chroot);
    await coordinator('cache-attach', { chroot });
    mkdirSync(`${chroot}/var/lib/dpkg`, { recursive: true });
    writeFileSync(
      `${chroot}/var/lib/dpkg/status`,
      ['old:1.0', `${dl}:2.0`]
        .map(
          (pv) =>
            `Package: ${pv.split(':')[0]}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${pv.split(':')[1]}\n`,
        )
        .join('\n'),
    );
    writeFileSync(`${chroot}/${ARCHIVES}/${dl}_2.0_amd64.deb`, readFileSync(`${debs}/${dl}_2.0_amd64.deb`));
    // apt-get clean a moment later (after the tuner captured the download), as apt's own comes after unpacking.
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(`${chroot}/${ARCHIVES}/${dl}_2.0_amd64.deb`);
    return chroot;
  }

  function record(chroot: string): RunRecordInput {
    return {
      runId: `apt-lessons-${Date.now()}`,
      name: 'apt-lessons',
      command: ['true'],
      chroot,
      isolate: false,
      startedAt: new Date().toISOString(),
      endedAt: null,
      exitCode: 0,
      signal: null,
      notes: [],
    };
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
    const r = record(chroot);
    try {
      await postTask(call, {
        runId: r.runId,
        name: r.name,
        chroot,
        keepOnFailure: false,
        aptCache: true,
        systemApplied: false,
        dir: null,
        record: r,
        patterns: new Set(),
      });
    } finally {
      if (open) closeSync(busy);
    }
    return { r, detaches, stats: r.cache as unknown as Stats | undefined };
  }

  test('a refused detach asked again after the teardown counts the whole build', async () => {
    const chroot = await builtWithCache('again', 'new');
    const buildsBefore = await builds();
    const third = `${scratch}/third`;
    mkdirSync(third);
    chroots.push(third);
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
    const other = `${scratch}/other`;
    mkdirSync(other);
    chroots.push(other);
    const buildsBefore = await builds();
    // Another build attaches between the teardown and this run's second detach: its attach reaps.
    const { r, detaches, stats } = await postTaskBusyFirst(chroot, {
      beforeSecond: () => coordinator('cache-attach', { chroot: other }),
    });
    try {
      assert.deepEqual(await lessons(chroot), [], 'no cache-detach-failed lesson');
      assert.equal(detaches.length, 2, JSON.stringify(r.notes));
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

  test('an attach refused (a cleanup holds the cache): no detach asked, no lesson, the record says why', async () => {
    const chroot = `${scratch}/refused`;
    chroots.push(chroot);
    const lock = await acquireTargetLock(apt);
    assert.ok(lock, 'the test holds the cache dir as a cleanup would');
    let r;
    try {
      r = await cli(
        env,
        ['run', '--chroot', chroot, '--apt-cache', '--no-tune', '--json', '--', 'true'],
        undefined,
        180_000,
      );
    } finally {
      await lock.release();
    }
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.deepEqual(await lessons(chroot), [], 'no cache-detach-failed lesson');
    const rec = JSON.parse(r.stdout) as { notes: string[]; cache?: unknown };
    assert.ok(
      rec.notes.some((n) =>
        /apt cache not attached, refused \(locked\): a cleanup of the apt cache .* is running/.test(n),
      ),
      JSON.stringify(rec.notes),
    );
    assert.equal(rec.cache, undefined, 'no cache use: nothing was attached');
    assert.ok(!rec.notes.some((n) => /apt cache detach/.test(n)), `no detach asked: ${JSON.stringify(rec.notes)}`);
  });

  test('a detach of a chroot the tuner has no session for (an attach with no answer): a note, no lesson', async () => {
    const chroot = `${scratch}/unanswered`;
    mkdirSync(chroot);
    chroots.push(chroot);
    const r = record(chroot);
    await postTask(coordinator, {
      runId: r.runId,
      name: r.name,
      chroot,
      keepOnFailure: false,
      aptCache: true,
      systemApplied: false,
      dir: null,
      record: r,
      patterns: new Set(),
    });
    assert.deepEqual(await lessons(chroot), [], 'nothing of the cache is mounted there: no cache-detach-failed lesson');
    assert.ok(
      r.notes?.some((n) => /apt cache detach: no apt cache attached to/.test(n)),
      `the answer is in the notes: ${JSON.stringify(r.notes)}`,
    );
  });
});
