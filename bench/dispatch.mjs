// Dispatch: sequential no-op requests through an agent's endpoint (the Monitor's `health`, a separate
// process, zod-validated, enveloped) against raw NATS request/reply to an echo responder in its own
// process on the same server, same run. Target >= 0.8x raw throughput.
import { spawn } from 'node:child_process';
import { connect } from 'nats';
import { report, withSwarm } from './lib.mjs';

const N = Number(process.argv[2] ?? 3000);
const swarm = withSwarm('dispatch');
const echoSrc = `
  import { connect } from 'nats';
  const nc = await connect({ servers: process.argv[1], user: process.argv[2], pass: process.argv[3] });
  nc.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
  await nc.flush(); process.stdout.write('ready\\n');
  process.on('SIGTERM', async () => { await nc.close(); process.exit(0); });
`;
const echo = spawn(
  process.execPath,
  ['--input-type=module', '-e', echoSrc, swarm.url, swarm.creds.user, swarm.creds.pass],
  { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] },
);
try {
  await new Promise((r) => echo.stdout.once('data', r));
  const nc = await connect({ servers: swarm.url, user: swarm.creds.user, pass: swarm.creds.pass });
  const payload = new TextEncoder().encode('{}');
  const rate = async (subject) => {
    for (let i = 0; i < 200; i++) await nc.request(subject, payload, { timeout: 2000 });
    const t = performance.now();
    for (let i = 0; i < N; i++) await nc.request(subject, payload, { timeout: 2000 });
    return N / ((performance.now() - t) / 1000);
  };
  const raw1 = await rate('bench.echo');
  const agent1 = await rate('isoswarm.monitor.health');
  const raw2 = await rate('bench.echo');
  const agent2 = await rate('isoswarm.monitor.health');
  const raw = (raw1 + raw2) / 2;
  const agent = (agent1 + agent2) / 2;
  await nc.close();
  report('dispatch (sequential request/reply)', { text: '>= 0.8x raw', test: (r) => r >= 0.8 }, agent / raw, [
    `raw NATS echo: ${raw.toFixed(0)} req/s`,
    `agent endpoint (monitor.health): ${agent.toFixed(0)} req/s`,
  ]);
} finally {
  echo.kill('SIGTERM');
  swarm.stop();
}
