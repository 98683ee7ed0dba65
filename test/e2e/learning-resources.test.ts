// resource-management read back, for real: a run watches its chroot's file system (a small tmpfs
// the Monitor is not configured to watch); the build fills it past the threshold; the reactor cleans
// the caches on that disk, never the running build's tree; the next alert cleans the target that
// freed the most bytes per second first; the disk that filled is named by the next run's pre-flight.
// A memory alert lowers the next run's PARALLEL_JOBS. Every action is also a notification.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventSubject } from '../../src/bus/subjects.js';
import { runOk } from '../../src/host/exec.js';
import { rawClient } from '../helpers/bus.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

interface Entry {
  event: string;
  metric: string;
  action?: { status: string; targets?: string[] };
  recommendation?: { parallelJobs: number };
}

describe('the reactor acts per alert kind, from what it measured', { skip: needsRoot() }, () => {
  const home = scratchHome('learn-res');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-learn-res-fs-'));
  const disk = `${scratch}/disk`;
  const slow = `${disk}/cache-many-small`;
  const fast = `${disk}/cache-one-big`;
  const chroot = `${disk}/chroot`;
  let env: NodeJS.ProcessEnv;

  const fillCaches = (): void => {
    mkdirSync(slow, { recursive: true });
    mkdirSync(fast, { recursive: true });
    for (let i = 0; i < 256; i++) writeFileSync(`${slow}/f${i}.deb`, Buffer.alloc(1024, 1));
    writeFileSync(`${fast}/big.tar`, Buffer.alloc(4 << 20, 2));
  };
  /** The reactor records after the Cleaner is done, which on a busy host may be after the run ended. */
  const alertsActedOn = async (n: number): Promise<Entry[]> => {
    const end = Date.now() + 60_000;
    for (;;) {
      const acted = entries().filter((e) => e.event === 'alert' && e.metric === 'disk' && e.action);
      if (acted.length >= n || Date.now() > end) return acted;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const entries = (): Entry[] => {
    const r = cliSync(env, ['memory', 'get', 'optimization/resource-management']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { entries: Entry[] }).entries : [];
  };
  // The build fills the chroot's disk past 85 %, waits for the reactor, and checks its tree survived.
  const build = [
    'sh',
    '-c',
    `mkdir -p ${chroot} && head -c 3145728 /dev/zero > ${chroot}/rootfs.img && sleep 6 && test -s ${chroot}/rootfs.img`,
  ];

  before(async () => {
    mkdirSync(disk);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'isoswarm-learn-res', disk]);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({
        policy: { safePrefixes: [scratch], deny: [] },
        monitor: { intervalMs: 200, minAlertIntervalMs: 1000, hysteresisPct: 5 },
        cleanup: {
          targets: [
            { path: slow, kind: 'cache', limitBytes: 0 },
            { path: fast, kind: 'cache', limitBytes: 0 },
          ],
        },
      }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json`, CLEANUP_AUTO_TRIGGER: 'true' });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(async () => {
    teardownHome(home);
    await runOk('umount', [disk]).catch(() => undefined);
    removeScratch(scratch);
  });

  test('disk alerts on the chroot disk clean the caches, fastest first the second time', async () => {
    fillCaches();
    const r1 = cliSync(
      env,
      ['run', '--no-tune', '--name', 'fill', '--chroot', chroot, '--', ...build],
      undefined,
      120_000,
    );
    assert.equal(r1.code, 0, `the build's tree was touched or the run failed:\n${r1.stderr}`);
    const first = await alertsActedOn(1);
    assert.equal(first.length, 1, JSON.stringify(entries()));
    assert.deepEqual(first[0]!.action?.targets, [slow, fast]);
    assert.equal(first[0]!.action?.status, 'done');

    fillCaches();
    const r2 = cliSync(
      env,
      ['run', '--no-tune', '--name', 'fill', '--chroot', chroot, '--', ...build],
      undefined,
      120_000,
    );
    assert.equal(r2.code, 0, r2.stderr);
    // The pre-flight named the disk that filled during the last build of this name.
    assert.match(
      r2.stderr,
      new RegExp(
        `pre-flight disk-filled: .*because the last build of fill .* filled ${disk}(/chroot)? to \\d+ % \\(threshold \\d+ %\\), using [1-9]`,
      ),
    );
    const second = await alertsActedOn(2);
    assert.equal(second.length, 2);
    assert.deepEqual(second[1]!.action?.targets, [fast, slow]);
    const ex = JSON.parse(cliSync(env, ['patterns', 'explain', 'resource-management', '--json']).stdout) as {
      records: { decisions: { decision: string; evidence: Record<string, { rate: number }> }[] }[];
    };
    const d = ex.records[0]!.decisions.find((x) => x.decision.startsWith('cleaned'));
    assert.ok(d, JSON.stringify(ex));
    assert.ok(d.evidence[fast]!.rate > d.evidence[slow]!.rate);
  });

  test("a memory alert lowers the next run's PARALLEL_JOBS, and notifications say so", async () => {
    const nc = await rawClient(home);
    try {
      const ev = {
        kind: 'alert',
        metric: 'memory',
        subject: 'memory',
        level: 'warning',
        state: 'warning',
        value: 93,
        threshold: 90,
        at: Date.now(),
      };
      await nc
        .jetstream()
        .publish(eventSubject('isoswarm', 'monitor', 'alert', 'memory'), new TextEncoder().encode(JSON.stringify(ev)));
      const end = Date.now() + 20_000;
      while (!entries().some((e) => e.metric === 'memory' && e.recommendation) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 200));
      const rec = entries().find((e) => e.metric === 'memory')!.recommendation!;
      const r = cliSync(
        env,
        ['run', '--no-tune', '--name', 'mem', '--', 'sh', '-c', 'echo "jobs=$PARALLEL_JOBS"'],
        undefined,
        120_000,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, new RegExp(`jobs=${rec.parallelJobs}\\b`));
      assert.match(r.stderr, new RegExp(`PARALLEL_JOBS=${rec.parallelJobs} \\(was unset\\): memory reached 93 %`));

      // Every alert the reactor acted on is a notification in the event stream.
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info('ISOSWARM_EVENTS');
      const notes: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage('ISOSWARM_EVENTS', { seq }).catch(() => null);
        if (m?.subject === eventSubject('isoswarm', 'notification', 'reactor'))
          notes.push((JSON.parse(new TextDecoder().decode(m.data)) as { message: string }).message);
      }
      assert.ok(
        notes.some((n) => /disk alert on .* cleaned/.test(n)),
        JSON.stringify(notes),
      );
      assert.ok(
        notes.some((n) => /memory alert on memory: recommending PARALLEL_JOBS=/.test(n)),
        JSON.stringify(notes),
      );
    } finally {
      await nc.close();
    }
  });
});
