// `isoswarm run` with no swarm running starts a temporary one for itself. Killed with SIGKILL, the
// CLI cannot stop it: the swarm finishes the lost run and then stops itself (coordinator, agents,
// private nats-server, run.json), leaving no orphan. A swarm started with `up` stays up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome, processesOfHome, waitGone } from '../helpers/home-processes.js';

const LEASE_MS = 3000;
const GRACE_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function tagged(tag: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if (readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(tag)) out.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return out;
}

const homes: string[] = [];
const work = mkdtempSync('/tmp/isoswarm-test-temp-swarm-work-');
writeFileSync(`${work}/build.sh`, '#!/bin/bash\necho "build: working"\nwhile :; do sleep "$1"; done\n', {
  mode: 0o755,
});
after(async () => {
  for (const h of homes) await finishHome(h);
  removeScratch(work);
});

interface RunFileJson {
  coordinator: { pid: number };
  nats: { pid: number } | null;
}

async function startAndKill(home: string, tag: string): Promise<RunFileJson> {
  const env = testEnv(home, { ISOSWARM_RUN_LEASE_MS: String(LEASE_MS), ISOSWARM_RUN_GRACE_MS: String(GRACE_MS) });
  const child = spawn(process.execPath, [CLI, 'run', '--no-tune', '--name', 'temp', '--', `${work}/build.sh`, tag], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor('the build to start', () => out.includes('build: working') && tagged(tag).length > 0, 90_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}; output: ${out}`);
  }
  const rf = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as RunFileJson;
  child.kill('SIGKILL');
  return rf;
}

test('a temporary swarm whose run CLI was SIGKILLed finishes the run, then stops: nothing orphaned', async () => {
  const home = scratchHome('temp-swarm');
  homes.push(home);
  const tag = `${2000 + Math.floor(Math.random() * 7000)}.7`;
  assert.equal(existsSync(`${home}/run.json`), false, 'no swarm before the run');
  const rf = await startAndKill(home, tag);
  assert.ok(rf.nats, 'a private nats-server was started');
  const swarmPids = [rf.coordinator.pid, rf.nats.pid];
  const agents = processesOfHome(home).filter((p) => /agents\/[a-z-]+\/main\.js/.test(p.cmd));
  assert.equal(agents.length, 4, agents.map((a) => a.cmd).join('\n'));
  // The run is finished by the swarm (record written) ...
  const runsDir = `${home}/runs`;
  await waitFor(
    'the run record marked runner lost',
    () =>
      existsSync(runsDir) &&
      readdirSync(runsDir).some(
        (f) => f.endsWith('.json') && /"runnerLost"/.test(readFileSync(`${runsDir}/${f}`, 'utf8')),
      ),
    LEASE_MS + GRACE_MS + 60_000,
  );
  assert.deepEqual(tagged(tag), [], 'the build was ended');
  // ... and then every process of the swarm exits by itself.
  const left = await waitGone([...swarmPids, ...agents.map((a) => a.pid)], 60_000);
  assert.deepEqual(left, [], `still running: ${JSON.stringify(processesOfHome(home))}`);
  assert.deepEqual(processesOfHome(home), [], 'no process of this state dir is left');
  assert.equal(existsSync(`${home}/run.json`), false, 'run.json removed');
  const log = readFileSync(`${home}/logs/swarm.log`, 'utf8');
  assert.match(log, /temporary swarm: the isoswarm command \(pid \d+\) that started it is gone/);
});

test('a swarm started with `up` is not stopped when a run CLI using it is killed', async () => {
  const home = scratchHome('temp-swarm-up');
  homes.push(home);
  const env = testEnv(home);
  assert.equal(cliSync(env, ['up'], undefined, 90_000).code, 0);
  const before = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as RunFileJson;
  const tag = `${2000 + Math.floor(Math.random() * 7000)}.8`;
  await startAndKill(home, tag);
  await waitFor('the build to be ended', () => tagged(tag).length === 0, LEASE_MS + GRACE_MS + 60_000);
  await sleep(4000); // past two checks of the temporary-swarm watch, were it running
  const now = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as RunFileJson;
  assert.equal(now.coordinator.pid, before.coordinator.pid);
  assert.equal(cliSync(env, ['status']).code, 0, 'still up');
});
