// kill -9 of the coordinator: its agents keep serving, the next `isoswarm up` reuses the private
// nats-server and adopts them (no duplicates), the memory is intact, an adopted agent that dies is
// restarted as the new coordinator's child, and `down` stops everything, adopted agents included.
// Without a new coordinator, agents leave by themselves after their grace period.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { pidAlive, pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome, processesOfHome, waitGone } from '../helpers/home-processes.js';

const AGENTS = ['cleaner', 'monitor', 'performance-tuner', 'unmounter'];

interface Run {
  url: string;
  nats: { pid: number };
  coordinator: { pid: number };
}
const readRun = (home: string) => JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as Run;

function ppidOf(pid: number): number {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]);
}

async function agentPids(nc: NatsConnection): Promise<Map<string, number>> {
  return new Map((await pingNames(nc)).filter((s) => s.name !== 'coordinator').map((s) => [s.name, s.pid]));
}

async function coordinatorStatus(
  nc: NatsConnection,
): Promise<{ pid: number; agents: { name: string; pid: number; adopted: boolean; restarts: number }[] }> {
  const m = await nc.request(`${SUBJ}.coordinator.status`, new TextEncoder().encode('{}'), { timeout: 3000 });
  return (JSON.parse(new TextDecoder().decode(m.data)) as { data: never }).data;
}

describe('kill -9 of the coordinator, then isoswarm up', () => {
  const home = scratchHome('fault-coord');
  const env = testEnv(home);
  let leftover: unknown[] = [];
  after(async () => {
    leftover = await finishHome(home);
    assert.deepEqual(leftover, [], 'processes left after down');
  });

  test('agents survive, are adopted (same PIDs, one nats-server), memory intact, down stops them', async () => {
    assert.equal(cliSync(env, ['up']).code, 0);
    const entries = Array.from({ length: 200 }, (_, i) => JSON.stringify({ key: `fault/k${i}`, value: { i } })).join(
      '\n',
    );
    const imp = cliSync(env, ['memory', 'import', '-'], entries);
    assert.equal(imp.code, 0, imp.stderr);
    const first = readRun(home);
    let nc = await rawClient(home);
    const before = await agentPids(nc);
    assert.deepEqual([...before.keys()].sort(), AGENTS);

    process.kill(first.coordinator.pid, 'SIGKILL');
    assert.deepEqual(await waitGone([first.coordinator.pid], 3000), []);
    await new Promise((r) => setTimeout(r, 1200)); // well past the agents' old 500 ms parent check
    const orphans = await agentPids(nc);
    assert.deepEqual(orphans, before, 'every agent still serves, with its PID');
    for (const pid of orphans.values()) assert.notEqual(ppidOf(pid), first.coordinator.pid);
    await nc.close();

    const up = cliSync(env, ['up', '--json']);
    assert.equal(up.code, 0, up.stderr);
    const second = readRun(home);
    assert.notEqual(second.coordinator.pid, first.coordinator.pid);
    assert.equal(second.nats.pid, first.nats.pid, 'the private nats-server was reused');
    assert.equal(second.url, first.url);
    const servers = processesOfHome(home).filter((p) => p.cmd.includes('nats-server'));
    assert.equal(servers.length, 1, `one nats-server for this home: ${JSON.stringify(servers)}`);

    nc = await rawClient(home);
    try {
      const seen = await pingNames(nc);
      assert.deepEqual(
        seen.map((s) => s.name).sort(),
        ['cleaner', 'coordinator', 'monitor', 'performance-tuner', 'unmounter'],
        'exactly five services, no duplicate agent',
      );
      assert.deepEqual(await agentPids(nc), before, 'the same agent processes, adopted');
      const st = await coordinatorStatus(nc);
      assert.equal(st.pid, second.coordinator.pid);
      for (const a of st.agents) assert.equal(a.adopted, true, `${a.name} adopted`);

      const list = cliSync(env, ['memory', 'list', '--prefix', 'fault/', '--json']);
      assert.equal(list.code, 0, list.stderr);
      const got = new Map(
        (JSON.parse(list.stdout) as { key: string; value: { i: number } }[]).map((e) => [e.key, e.value.i]),
      );
      assert.equal(got.size, 200, 'every record written before the kill is there');
      for (let i = 0; i < 200; i++) assert.equal(got.get(`fault/k${i}`), i);
      assert.equal(cliSync(env, ['memory', 'set', 'fault/after', '1']).code, 0, 'the new coordinator writes');

      // An adopted agent that dies is restarted as the new coordinator's own child.
      const oldMonitor = before.get('monitor')!;
      process.kill(oldMonitor, 'SIGKILL');
      let fresh: number | undefined;
      const t0 = Date.now();
      while (Date.now() - t0 < 5000 && !fresh) {
        const p = (await agentPids(nc)).get('monitor');
        if (p && p !== oldMonitor) fresh = p;
      }
      assert.ok(fresh, 'monitor came back within 5 s');
      assert.equal(ppidOf(fresh), second.coordinator.pid);
      const m = (await coordinatorStatus(nc)).agents.find((a) => a.name === 'monitor')!;
      assert.equal(m.adopted, false);
      assert.equal(m.restarts, 1);
    } finally {
      await nc.close();
    }

    const all = [...before.values(), second.coordinator.pid, first.nats.pid];
    assert.equal(cliSync(env, ['down']).code, 0);
    assert.deepEqual(await waitGone(all, 3000), [], 'down stopped adopted agents, the coordinator and the server');
  });
});

describe('kill -9 of the coordinator without a new one', () => {
  const home = scratchHome('fault-orphan');
  after(async () => assert.deepEqual(await finishHome(home), [], 'processes left after down'));

  test('agents leave by themselves after the grace period; down stops the server', async () => {
    const env = testEnv(home, { ISOSWARM_ORPHAN_GRACE_MS: '1500' });
    assert.equal(cliSync(env, ['up']).code, 0);
    const run = readRun(home);
    const nc = await rawClient(home);
    const agents = [...(await agentPids(nc)).values()];
    await nc.close();
    process.kill(run.coordinator.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 700));
    for (const p of agents) assert.ok(pidAlive(p), 'still serving inside the grace period');
    assert.deepEqual(await waitGone(agents, 5000), [], 'agents left after their grace period');
    assert.ok(pidAlive(run.nats.pid));
    const down = cliSync(env, ['down', '--json']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await waitGone([run.nats.pid], 3000), []);
  });

  test('down right after the kill stops the orphaned agents too', async () => {
    const env = testEnv(home);
    assert.equal(cliSync(env, ['up']).code, 0);
    const run = readRun(home);
    const nc = await rawClient(home);
    const agents = [...(await agentPids(nc)).values()];
    await nc.close();
    process.kill(run.coordinator.pid, 'SIGKILL');
    await waitGone([run.coordinator.pid], 2000);
    const down = cliSync(env, ['down', '--json']);
    assert.equal(down.code, 0, down.stderr);
    const r = JSON.parse(down.stdout) as { stopped: { what: string; pid: number }[] };
    assert.deepEqual(
      r.stopped
        .filter((s) => s.what.startsWith('agent'))
        .map((s) => s.pid)
        .sort(),
      [...agents].sort(),
    );
    assert.deepEqual(await waitGone([...agents, run.nats.pid], 3000), []);
  });

  test('coordinator and server both killed: up stops the stranded agents and starts afresh', async () => {
    const env = testEnv(home);
    assert.equal(cliSync(env, ['up']).code, 0);
    const run = readRun(home);
    let nc = await rawClient(home);
    const agents = [...(await agentPids(nc)).values()];
    await nc.close();
    process.kill(run.coordinator.pid, 'SIGKILL');
    process.kill(run.nats.pid, 'SIGKILL');
    await waitGone([run.coordinator.pid, run.nats.pid], 2000);
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /stopping 4 agent\(s\) left by a dead swarm/);
    assert.deepEqual(await waitGone(agents, 1000), [], 'the unreachable agents were stopped, not left to linger');
    nc = await rawClient(home);
    try {
      const fresh = await agentPids(nc);
      assert.equal(fresh.size, 4);
      for (const p of fresh.values()) assert.ok(!agents.includes(p));
    } finally {
      await nc.close();
    }
    assert.notEqual(readRun(home).nats.pid, run.nats.pid);
    assert.equal(cliSync(env, ['down']).code, 0);
  });
});
