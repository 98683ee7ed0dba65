// The Monitor and the reactor for real: a small tmpfs filled past 85 % raises exactly one durable
// alert, the reactor has the Cleaner evict the configured cache, and a recovery follows. With the
// coordinator killed while the alert is raised, the next coordinator still acts on it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { runOk } from '../../src/host/exec.js';
import { rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

interface Ev {
  kind: string;
  metric: string;
  subject: string;
}

async function streamEvents(nc: NatsConnection, subject: string): Promise<Ev[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('ISOSWARM_EVENTS');
  const out: Ev[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    try {
      const m = await jsm.streams.getMessage('ISOSWARM_EVENTS', { seq });
      if (m.subject.startsWith(subject)) out.push(JSON.parse(new TextDecoder().decode(m.data)) as Ev);
    } catch {
      /* deleted */
    }
  }
  return out;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 15_000,
  diag?: () => Promise<string>,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${diag ? `: ${await diag()}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function fill(dir: string, name: string, bytes: number): void {
  writeFileSync(`${dir}/${name}`, Buffer.alloc(bytes, 1));
}

describe('threshold alert → reactor → Cleaner → recovery', { skip: needsRoot() }, () => {
  const home = scratchHome('reactor');
  const scratch = mkdtempSync('/tmp/isoswarm-test-reactor-fs-');
  const disk = `${scratch}/disk`;
  const cache = `${disk}/cache`;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    mkdirSync(disk);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'isoswarm-test', disk]);
    mkdirSync(cache);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({
        policy: { safePrefixes: [scratch], deny: [] },
        monitor: { paths: [disk], tempDir: disk, intervalMs: 200, minAlertIntervalMs: 1000, hysteresisPct: 5 },
        cleanup: { targets: [{ path: cache, kind: 'cache', limitBytes: 512 * 1024 }] },
      }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json`, CLEANUP_AUTO_TRIGGER: 'true' });
  });
  after(async () => {
    teardownHome(home);
    await runOk('umount', [disk]).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('exactly one alert, space freed through the Cleaner, then a recovery', async () => {
    assert.equal(cliSync(env, ['up']).code, 0);
    const nc = await rawClient(home);
    try {
      for (let i = 0; i < 14; i++) fill(cache, `pkg-${i}.deb`, 512 * 1024); // 7 MiB of 8: 87.5 %
      const recovery = await until(
        'a recovery',
        async () => (await streamEvents(nc, `${SUBJ}.events.monitor.recovery.disk`)).length > 0,
        15_000,
        async () => {
          const log = readFileSync(`${home}/logs/swarm.log`, 'utf8')
            .split('\n')
            .filter((l) => !l.includes('"level":30'))
            .slice(-6)
            .join('\n');
          return `events ${JSON.stringify(await streamEvents(nc, `${SUBJ}.events`))}\nlog:\n${log}`;
        },
      );
      assert.ok(recovery);
      const alerts = await streamEvents(nc, `${SUBJ}.events.monitor.alert.disk`);
      assert.equal(alerts.length, 1, `alerts: ${JSON.stringify(alerts)}`);
      const mem = JSON.parse(cliSync(env, ['memory', 'get', 'optimization/resource-management']).stdout) as {
        entries: { event: string; action?: { status: string; bytesFreed: number } }[];
      };
      const acted = mem.entries.find((e) => e.event === 'alert');
      assert.equal(acted?.action?.status, 'done', JSON.stringify(mem));
      assert.ok((acted?.action?.bytesFreed ?? 0) >= 6 * 1024 * 1024);
      // What was done is in the stream beside the alert, for dashboards.
      const actions = await until(
        'the reactor action in the stream',
        async () => {
          const a = await streamEvents(nc, `${SUBJ}.events.reactor.action`);
          return a.length ? a : null;
        },
        10_000,
      );
      assert.equal(
        (actions[0] as unknown as { action: { status: string } }).action.status,
        'done',
        JSON.stringify(actions),
      );
      // While the value stays low nothing more is raised.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await streamEvents(nc, `${SUBJ}.events.monitor.alert`)).length, 1);
    } finally {
      await nc.close();
    }
  });

  test('an alert raised while the coordinator is dead is acted on by the next coordinator', async () => {
    const run = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as { coordinator: { pid: number } };
    process.kill(run.coordinator.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 14; i++) fill(cache, `again-${i}.deb`, 512 * 1024);
    const nc = await rawClient(home);
    try {
      // The Monitor outlives its coordinator and stores the alert durably.
      await until(
        'the second alert in the stream',
        async () => (await streamEvents(nc, `${SUBJ}.events.monitor.alert.disk`)).length === 2,
      );
    } finally {
      await nc.close();
    }
    assert.equal(cliSync(env, ['up']).code, 0);
    const acted = await until('the new coordinator to act', async () => {
      const r = cliSync(env, ['memory', 'get', 'optimization/resource-management']);
      if (r.code !== 0) return null;
      const m = JSON.parse(r.stdout) as { totals: Record<string, number> };
      return (m.totals.autoCleanups ?? 0) >= 2 ? m : null;
    });
    assert.ok(acted.totals['disk-alert']! >= 2);
  });
});
