// Stops and restarts a test swarm's private nats-server in place (same config, port and JetStream
// store), keeping run.json pointing at the live server so that `isoswarm down` still stops it.
import { spawn } from 'node:child_process';
import { connect as tcp } from 'node:net';
import { isAlive, refOf, waitForExit } from '../../src/host/proc/process-identity.js';
import { readRunFile, writeRunFile } from '../../src/runtime/run-file.js';

export async function stopServer(home: string): Promise<void> {
  const run = readRunFile(`${home}/run.json`);
  if (!run?.nats || !isAlive(run.nats)) throw new Error('no live private nats-server in run.json');
  process.kill(run.nats.pid, 'SIGTERM');
  if (!(await waitForExit(run.nats, 5000))) throw new Error('nats-server did not stop');
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcp(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export async function startServer(home: string): Promise<number> {
  const run = readRunFile(`${home}/run.json`);
  if (!run) throw new Error('no run.json');
  const port = Number(new URL(run.url.replace(/^nats:/, 'http:')).port);
  const child = spawn('nats-server', ['-c', `${home}/jetstream.conf`], { detached: true, stdio: 'ignore' });
  child.unref();
  const end = Date.now() + 5000;
  while (!(await reachable(port))) {
    if (Date.now() > end) throw new Error(`restarted nats-server does not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  writeRunFile(`${home}/run.json`, { ...run, nats: refOf(child.pid!) });
  return child.pid!;
}
