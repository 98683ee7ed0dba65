// `down` and adoption signal the processes found as a state dir's agents. Real processes whose command
// line holds an agent's entry script but that are not that agent (a pager-like `tail -f` on it, Node
// given other flags or more arguments) are not found; one started the way the supervisor starts an
// agent (this Node binary, the agent's flags, its entry script) is.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { agentNodeFlags } from '../../src/coordinator/agent-node-flags.js';
import { agentNameOf, findAgentProcesses } from '../../src/runtime/swarm-processes.js';
import { removeScratch, scratchHome } from '../helpers/cli.js';

const home = scratchHome('agent-match');
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) {
    const exited = c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null;
    c.kill('SIGKILL');
    await exited;
  }
  removeScratch(home);
});

function entry(name: string): string {
  const dir = `${home}/dist/agents/${name}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/main.js`, 'setInterval(() => {}, 1e6);\n');
  return `${dir}/main.js`;
}

function start(cmd: string, args: string[]): number {
  const c = spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ISOSWARM_HOME: home } });
  children.push(c);
  return c.pid!;
}

/** Until /proc shows the command line the child was exec'd with (spawn returns before the exec). */
async function execd(pid: number, last: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv.at(-1) === last) return;
    await sleep(25);
  }
  assert.fail(`pid ${pid} did not exec`);
}

test('only a process started as an agent is found as one', async () => {
  const monitor = entry('monitor');
  const cleaner = entry('cleaner');
  const hold = `${home}/hold.cjs`;
  writeFileSync(hold, 'setInterval(() => {}, 1e6);\n');

  const pager = start('tail', ['-f', monitor]);
  const otherFlags = start(process.execPath, [`--require=${hold}`, cleaner]);
  const moreArgs = start(process.execPath, [cleaner, '--verbose']);
  const missingFlags = start(process.execPath, [monitor]);
  const real = start(process.execPath, [...agentNodeFlags('monitor'), monitor]);
  const realCleaner = start(process.execPath, [...agentNodeFlags('cleaner'), cleaner]);
  await Promise.all([
    execd(pager, monitor),
    execd(otherFlags, cleaner),
    execd(moreArgs, '--verbose'),
    execd(missingFlags, monitor),
    execd(real, monitor),
    execd(realCleaner, cleaner),
  ]);

  assert.equal(agentNameOf(pager), null, 'tail -f on the entry script');
  assert.equal(agentNameOf(otherFlags), null, 'node with flags that are not the agent’s');
  assert.equal(agentNameOf(moreArgs), null, 'node with arguments after the entry script');
  assert.equal(agentNameOf(missingFlags), null, 'the monitor without its flags');
  assert.equal(agentNameOf(real), 'monitor');
  assert.equal(agentNameOf(realCleaner), 'cleaner');
  const found = findAgentProcesses(home)
    .map((a) => [a.name, a.ref.pid] as const)
    .sort((a, b) => a[1] - b[1]);
  assert.deepEqual(
    found,
    [
      ['monitor', real],
      ['cleaner', realCleaner],
    ].sort((a, b) => (a[1] as number) - (b[1] as number)),
  );
});

test('an agent whose Node binary was replaced since (an upgrade) is still found; a shell on an agent path is not', async () => {
  const cleaner = entry('cleaner');
  // Another Node binary, removed after the start, as a package upgrade leaves a running agent.
  mkdirSync(`${home}/old-node`, { recursive: true });
  const oldNode = `${home}/old-node/node`;
  copyFileSync(process.execPath, oldNode);
  const upgraded = spawn(oldNode, [...agentNodeFlags('cleaner'), cleaner], {
    stdio: 'ignore',
    env: { ...process.env, ISOSWARM_HOME: home },
  });
  children.push(upgraded);
  await execd(upgraded.pid!, cleaner);
  unlinkSync(oldNode);
  assert.match(readlinkSync(`/proc/${upgraded.pid}/exe`), / \(deleted\)$/);
  assert.equal(agentNameOf(upgraded.pid!), 'cleaner');

  // A shell given a file at an agent's path (no flags before it): not Node, not an agent.
  const shDir = `${home}/other/agents/unmounter`;
  mkdirSync(shDir, { recursive: true });
  // The shell itself stays (its sleeps last a second each, so none outlives the test by more).
  writeFileSync(`${shDir}/main.js`, 'while :; do sleep 1; done\n');
  const shell = start('/bin/sh', [`${shDir}/main.js`]);
  await execd(shell, `${shDir}/main.js`);
  assert.equal(agentNameOf(shell), null);
});
