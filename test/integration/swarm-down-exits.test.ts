// `isoswarm down` returns only when every process it stopped has exited: checked in /proc/PID/stat
// the moment it returns (gone, or a zombie only init can reap), with one agent stopped (SIGSTOP) so
// that it ignores SIGTERM and has to be killed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { pingNames, rawClient } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';

function state(pid: number): string {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0]!;
  } catch {
    return 'gone';
  }
}

describe('isoswarm down waits for every exit', () => {
  const home = scratchHome('down-exits');
  const env = testEnv(home);
  after(async () => assert.deepEqual(await finishHome(home), []));

  test('no process it stopped is still running when it returns', async () => {
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
    const run = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as {
      nats: { pid: number };
      coordinator: { pid: number };
    };
    const nc = await rawClient(home, 'cli');
    const services = await pingNames(nc);
    await nc.close();
    const pids = [run.nats.pid, run.coordinator.pid, ...services.map((s) => s.pid)];
    assert.equal(new Set(pids).size, 6, `pids: ${pids.join(' ')}`);
    // A stopped agent holds SIGTERM pending: only SIGKILL ends it.
    const monitor = services.find((s) => s.name === 'monitor')!.pid;
    process.kill(monitor, 'SIGSTOP');
    const down = cliSync(env, ['down', '--json'], undefined, 120_000);
    const states = pids.map((p) => [p, state(p)] as const);
    assert.equal(down.code, 0, down.stderr);
    for (const [pid, st] of states)
      assert.ok(st === 'gone' || st === 'Z', `pid ${pid} is in state ${st} after down returned`);
    const r = JSON.parse(down.stdout) as { stopped: { pid: number }[]; notExited: unknown[] };
    assert.deepEqual(r.notExited, []);
    for (const p of pids)
      assert.ok(
        r.stopped.some((s) => s.pid === p),
        `pid ${p} not listed as stopped: ${down.stdout}`,
      );
  });
});
