// The Monitor's process starts with its own V8 flags (src/coordinator/agent-node-flags.ts), the other
// agents with none; with the flags before its entry script it is still found as the swarm's monitor
// (what `down`, adoption and the clean-up of a dead agent's group rely on), and it samples.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { agentNodeFlags } from '../../src/coordinator/agent-node-flags.js';
import { agentNameOf, findAgentProcesses } from '../../src/runtime/swarm-processes.js';
import { pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';

const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('agent node flags', () => {
  const home = scratchHome('monitor-node-flags');
  after(async () => assert.deepEqual(await finishHome(home), [], 'processes left after down'));

  test('the monitor runs with its flags, is found by name, and publishes samples', async () => {
    const env = testEnv(home);
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
    const nc = await rawClient(home);
    try {
      const agents = new Map((await pingNames(nc)).filter((s) => s.name !== 'coordinator').map((s) => [s.name, s.pid]));
      const monitor = agents.get('monitor')!;
      const flags = agentNodeFlags('monitor');
      assert.ok(flags.length > 0);
      const argv = argvOf(monitor);
      assert.deepEqual(argv.slice(1, 1 + flags.length), flags, 'the flags come before the entry script');
      assert.match(argv[1 + flags.length]!, /\/agents\/monitor\/main\.js$/);
      for (const [name, pid] of agents) {
        if (name !== 'monitor') assert.match(argvOf(pid)[1]!, new RegExp(`/agents/${name}/main\\.js$`), name);
        assert.equal(agentNameOf(pid), name);
      }
      const found = new Map(findAgentProcesses(home).map((a) => [a.name, a.ref.pid]));
      assert.deepEqual(found, agents);
      // It samples: one metrics message within a generous bound on a loaded machine.
      const sub = nc.subscribe(`${SUBJ}.metrics`, { max: 1, timeout: 20_000 });
      for await (const m of sub) {
        const s = JSON.parse(new TextDecoder().decode(m.data)) as { cpuPct: number; memPct: number };
        assert.ok(Number.isFinite(s.cpuPct) && Number.isFinite(s.memPct));
      }
      assert.equal(sub.getProcessed(), 1);
    } finally {
      await nc.close();
    }
    assert.equal(cliSync(env, ['down']).code, 0);
  });
});
