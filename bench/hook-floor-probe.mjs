// Prints what the NATS part of a hook call costs in a fresh process: loading the client, the first
// connect, the first request to the coordinator (durable publish + reply), and a second one.
import { fileURLToPath } from 'node:url';

const dist = (p) => fileURLToPath(new URL(`../dist/src/${p}`, import.meta.url));
const t0 = performance.now();
const { loadConfigFast } = await import(dist('config/load-fast.js'));
const { statePaths } = await import(dist('host/system/state-dir.js'));
const { connectSwarm } = await import(dist('runtime/swarm-connect.js'));
const { requestEndpoint } = await import(dist('bus/request.js'));
const { closeBus } = await import(dist('bus/connect.js'));
const config = await loadConfigFast({});
const t1 = performance.now();
const s = await connectSwarm({ config, paths: statePaths() }, 1500);
if (!s) throw new Error('swarm not up');
const t2 = performance.now();
const ev = () => ({
  hook: 'notification',
  id: crypto.randomUUID(),
  at: new Date().toISOString(),
  source: 'cli',
  message: 'probe',
  level: 'debug',
  telemetry: true,
});
await requestEndpoint(s.nc, config.nats.subjectPrefix, 'coordinator', 'hook', { event: ev(), deferred: true }, 5000);
const t3 = performance.now();
await requestEndpoint(s.nc, config.nats.subjectPrefix, 'coordinator', 'hook', { event: ev(), deferred: true }, 5000);
const t4 = performance.now();
await closeBus(s.nc);
const t5 = performance.now();
process.stdout.write(
  `modules ${(t1 - t0).toFixed(1)} ms (ES modules, unbundled), first connect ${(t2 - t1).toFixed(1)} ms, first request ${(t3 - t2).toFixed(1)} ms, second request ${(t4 - t3).toFixed(1)} ms, close ${(t5 - t4).toFixed(1)} ms`,
);

// The hook path uses the minimal client (src/bus/quick-request.ts) for the same calls.
const { linkSwarm } = await import(dist('runtime/swarm-link.js'));
const q0 = performance.now();
const link = await linkSwarm({ config, paths: statePaths() }, 1500);
const q1 = performance.now();
await link.call('hook', { event: ev(), deferred: true }, 5000);
const q2 = performance.now();
await link.close();
console.log(
  `; minimal client as hooks use it: connect ${(q1 - q0).toFixed(1)} ms, first request ${(q2 - q1).toFixed(1)} ms`,
);
