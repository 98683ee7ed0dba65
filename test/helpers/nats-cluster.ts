// A 3-node NATS cluster with JetStream on loopback ports, as a farm runs one across machines: one
// config per node (server_name, JetStream store, cluster routes to the other two, the farm's users).
// Nodes can be stopped and started again in place (same ports, same store).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/bus/nats-server.js';
import { onInterrupt } from './interrupt-cleanup.js';

export interface ClusterNode {
  name: string;
  port: number;
  routePort: number;
  conf: string;
  child: ChildProcess | null;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** The client URLs, comma-separated (NATS_URL). */
  url: string;
  stop(i: number): Promise<void>;
  start(i: number): Promise<void>;
  stopAll(): Promise<void>;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcp(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export async function startCluster(dir: string, authorization: object, size = 3): Promise<Cluster> {
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < size; i++)
    nodes.push({
      name: `n${i + 1}`,
      port: await freeLoopbackPort(),
      routePort: await freeLoopbackPort(),
      conf: '',
      child: null,
    });
  for (const n of nodes) {
    const store = join(dir, n.name);
    mkdirSync(store, { recursive: true });
    n.conf = join(dir, `${n.name}.conf`);
    writeFileSync(
      n.conf,
      JSON.stringify({
        server_name: n.name,
        listen: `127.0.0.1:${n.port}`,
        jetstream: { store_dir: store, max_file_store: 4 * 1024 * 1024 * 1024, max_memory_store: 64 * 1024 * 1024 },
        cluster: {
          name: 'isoswarm-test-farm',
          listen: `127.0.0.1:${n.routePort}`,
          routes: nodes.filter((o) => o !== n).map((o) => `nats-route://127.0.0.1:${o.routePort}`),
        },
        authorization,
      }),
      { mode: 0o600 },
    );
  }
  const start = async (i: number): Promise<void> => {
    const n = nodes[i]!;
    const child = spawn('nats-server', ['-c', n.conf], { stdio: 'ignore' });
    n.child = child;
    const forget = onInterrupt(`nats node ${n.name}`, () => void child.kill('SIGKILL'));
    child.once('exit', forget);
    const end = Date.now() + 10_000;
    while (!(await reachable(n.port))) {
      if (Date.now() > end) throw new Error(`nats node ${n.name} does not listen on ${n.port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async (i: number): Promise<void> => {
    const c = nodes[i]!.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    nodes[i]!.child = null;
  };
  const cluster: Cluster = {
    nodes,
    url: nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(','),
    stop,
    start,
    stopAll: async () => {
      await Promise.all(nodes.map((_, i) => stop(i)));
    },
  };
  try {
    for (let i = 0; i < size; i++) await start(i);
  } catch (e) {
    await cluster.stopAll();
    throw e;
  }
  return cluster;
}
