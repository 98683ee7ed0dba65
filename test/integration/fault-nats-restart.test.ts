// The private nats-server stops and comes back in the middle of a long `isoswarm run`: hook calls
// during the outage return within their bound (exit 0, recorded locally, with the warning), the
// coordinator and the agents reconnect with the same PIDs, the outage's events reach the stream when
// the bus is back, and the run still records its post-task: no durable event is lost (counted).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import { cli, cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';
import { startServer, stopServer } from '../helpers/nats-restart.js';

interface HookEventLike {
  hook: string;
  id: string;
  taskId?: string;
}

async function hookEvents(nc: NatsConnection): Promise<HookEventLike[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('ISOSWARM_EVENTS');
  const out: HookEventLike[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('ISOSWARM_EVENTS', { seq }).catch(() => null);
    if (m && m.subject.startsWith(`${SUBJ}.events.hook.`))
      out.push(JSON.parse(new TextDecoder().decode(m.data)) as HookEventLike);
  }
  return out;
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('nats-server restart during a long isoswarm run', () => {
  const home = scratchHome('fault-nats');
  const env = testEnv(home);
  after(async () => assert.deepEqual(await finishHome(home), [], 'processes left after down'));

  test('hooks stay bounded, everyone reconnects, no durable event lost', async () => {
    assert.equal(cliSync(env, ['up']).code, 0);
    let nc = await rawClient(home);
    const pids = new Map((await pingNames(nc)).map((s) => [s.name, s.pid]));
    await nc.close();

    const mark = `${home}/build-started`;
    const run = cli(
      env,
      ['run', '--name', 'outage', '--json', '--', 'sh', '-c', `touch ${mark}; sleep 7`],
      undefined,
      90_000,
    );
    await until('the build to start', () => (existsSync(mark) ? true : undefined), 20_000);

    await stopServer(home);
    const outage: { id: string; ms: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await cli(env, ['hooks', 'notify', '--message', `during outage ${i}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      // The coordinator is alive and owns the memory: the event waits in its spool.
      assert.match(r.stderr, /swarm is down; hook spooled for the coordinator/);
      const res = JSON.parse(r.stdout) as { id: string; stored: string };
      assert.equal(res.stored, 'spool');
      outage.push({ id: res.id, ms: r.ms });
    }
    for (const o of outage) assert.ok(o.ms < 3000, `a hook during the outage took ${o.ms.toFixed(0)} ms`);
    await startServer(home);

    nc = await rawClient(home);
    try {
      // Same processes, reconnected (nobody restarted).
      await until(
        'all five services back',
        async () => ((await pingNames(nc).catch(() => [])).length === 5 ? true : undefined),
        10_000,
      );
      assert.deepEqual(new Map((await pingNames(nc)).map((s) => [s.name, s.pid])), pids);

      const r = await run;
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const record = JSON.parse(r.stdout) as { runId: string; exitCode: number; notes: string[] };
      assert.equal(record.exitCode, 0);
      assert.deepEqual(
        record.notes.filter((n) => /hook|performance record|monitor/.test(n)),
        [],
        'the run reached the swarm after the outage',
      );

      const events = await until(
        'the outage events in the stream',
        async () => {
          const ev = await hookEvents(nc);
          return outage.every((o) => ev.some((e) => e.id === o.id)) ? ev : undefined;
        },
        10_000,
      );
      const kinds = events.map((e) => `${e.hook}${e.taskId === record.runId ? ':run' : ''}`).sort();
      assert.deepEqual(
        kinds,
        ['notification', 'notification', 'notification', 'post-task:run', 'pre-task:run'],
        'every hook event, once',
      );
      const pending = cliSync(env, ['memory', 'list', '--prefix', 'hooks/pending/', '--json']);
      assert.deepEqual(JSON.parse(pending.stdout), [], 'nothing left waiting for the stream');
      const notes = JSON.parse(
        cliSync(env, ['memory', 'list', '--prefix', 'notifications/', '--json']).stdout,
      ) as unknown[];
      assert.equal(notes.length, 3, 'the outage notifications are in the memory');
    } finally {
      await nc.close();
    }
    assert.ok(readFileSync(`${home}/run.json`, 'utf8').includes('"nats"'));
  });
});
