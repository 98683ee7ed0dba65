// Swarms that commands other than `run` start for themselves (no swarm up): `cleanup` killed with
// SIGKILL mid-work cannot stop its swarm, so the swarm stops itself (coordinator, agents, private
// nats-server, run.json); and a swarm a dry run started changes nothing, not even finishing a
// journalled delete that a killed clean left (a later ordinary swarm does finish it).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { moveAside } from '../../src/host/delete/safe-delete.js';
import { CLI, cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome, processesOfHome, waitGone } from '../helpers/home-processes.js';
import { makeTree } from '../helpers/cleaner-fixture.js';

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

const homes: string[] = [];
after(async () => {
  for (const h of homes) await finishHome(h);
});

/** A state dir whose policy allows deletes only under its own `work` folder. */
function homeWithWork(tag: string): { home: string; work: string; env: NodeJS.ProcessEnv } {
  const home = scratchHome(tag);
  homes.push(home);
  const work = `${home}/work`;
  mkdirSync(work);
  writeFileSync(`${home}/config.json`, JSON.stringify({ policy: { safePrefixes: [work], deny: [] } }));
  return { home, work, env: testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` }) };
}

const agentsOf = (home: string) => processesOfHome(home).filter((p) => /agents\/[a-z-]+\/main\.js/.test(p.cmd));

test('cleanup with no swarm, its CLI SIGKILLed mid-work: the swarm it started stops by itself', async () => {
  const { home, work, env } = homeWithWork('temp-swarm-cleanup');
  makeTree(`${work}/tree`, 400, 50);
  const child = spawn(process.execPath, [CLI, 'cleanup', '--force', `${work}/tree`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let rf: { coordinator: { pid: number }; nats: { pid: number } | null };
  try {
    // Mid-work: the swarm is up and the command is calling it.
    rf = await waitFor(
      'the temporary swarm with its four agents',
      () =>
        existsSync(`${home}/run.json`) &&
        agentsOf(home).length === 4 &&
        (JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as typeof rf),
      90_000,
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}; output: ${out}`);
  }
  assert.equal(child.exitCode, null, `the CLI is still working: ${out}`);
  assert.ok(rf.nats, 'a private nats-server was started');
  const pids = [rf.coordinator.pid, rf.nats.pid, ...agentsOf(home).map((a) => a.pid)];
  child.kill('SIGKILL');
  const t0 = Date.now();
  const left = await waitGone(pids, 60_000);
  assert.deepEqual(left, [], `still running: ${JSON.stringify(processesOfHome(home))}`);
  assert.deepEqual(processesOfHome(home), [], 'no process of this state dir is left');
  assert.equal(existsSync(`${home}/run.json`), false, 'run.json removed');
  const log = readFileSync(`${home}/logs/swarm.log`, 'utf8');
  assert.match(log, /temporary swarm: the isoswarm command \(pid \d+\) that started it is gone/);
  process.stdout.write(`# swarm gone ${Date.now() - t0} ms after the CLI was killed\n`);
});

test('cleanup --dry-run with no swarm: its swarm does not finish a journalled delete; an ordinary one does', async () => {
  const { home, work, env } = homeWithWork('temp-swarm-dry');
  // A clean killed right after moving its target aside: the trash is journalled, not yet deleted.
  makeTree(`${work}/killed`, 20, 20);
  const moved = await moveAside(`${work}/killed`, `${home}/journal/cleaner`);
  assert.ok(moved.ok && moved.trashPath, JSON.stringify(moved));
  const trash = moved.trashPath;
  makeTree(`${work}/other`, 2, 2);
  // A tuner killed mid-measure: its scratch dir is journalled under a dead owner.
  const scratch = `${work}/isoswarm-tune-dead01`;
  makeTree(scratch, 2, 2);
  mkdirSync(`${home}/journal/scratch`, { recursive: true });
  writeFileSync(
    `${home}/journal/scratch/isoswarm-tune-dead01.json`,
    JSON.stringify({ path: scratch, owner: { pid: 2 ** 22 + 1, startTime: 1 }, at: new Date().toISOString() }),
  );

  const dry = cliSync(env, ['cleanup', '--dry-run', `${work}/other`], undefined, 120_000);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /no swarm running: starting one/);
  assert.equal(existsSync(trash), true, 'the dry run left the journalled trash alone');
  assert.equal(existsSync(scratch), true, "the dry run left the dead tuner's scratch alone");
  assert.equal(existsSync(`${work}/other`), true, 'the dry run deleted nothing');
  assert.equal(existsSync(`${home}/run.json`), false, 'its swarm is down again');
  const log = readFileSync(`${home}/logs/swarm.log`, 'utf8');
  assert.match(log, /swarm started for a dry run: interrupted deletes are left for the next swarm/);
  assert.match(log, /swarm started for a dry run: threshold alerts are left for the next swarm/);

  // A listing and a prune's dry run change nothing either.
  for (const args of [
    ['cache', 'ls', '--json'],
    ['cache', 'prune', '--dry-run', '--json'],
    ['tune', '--dry-run', '--json'],
    ['tune', '--optimize-system', '--dry-run', '--json'],
  ]) {
    const r = cliSync(env, args, undefined, 120_000);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(existsSync(trash), true, `${args.join(' ')} left the journalled trash alone`);
    assert.equal(existsSync(scratch), true, `${args.join(' ')} left the dead tuner's scratch alone`);
    assert.equal(existsSync(`${home}/run.json`), false, `${args.join(' ')}: its swarm is down again`);
  }

  // The same journal under an ordinary swarm: the Cleaner finishes the delete on start.
  assert.equal(cliSync(env, ['up'], undefined, 90_000).code, 0);
  await waitFor('the journalled trash to be deleted by an ordinary swarm', () => !existsSync(trash), 60_000);
  await waitFor("the dead tuner's scratch to be deleted by an ordinary swarm", () => !existsSync(scratch), 60_000);
  assert.equal(cliSync(env, ['down'], undefined, 60_000).code, 0);
});
