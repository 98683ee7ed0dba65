// Hook load: N client processes (default 4) send hook events to the coordinator's `hook` endpoint —
// the very request `isoswarm hooks notification` makes, with the CLI's credentials — at a fixed total
// rate (default 2,000/s) for a fixed time (default 30 s), open loop. Afterwards every acknowledged
// event is counted in the JetStream stream and in the memory (none may be missing), and p50/p99
// latency and the achieved rate are printed against the target.
// Usage: node bench/hook-load.mjs [--rate 2000] [--seconds 30] [--procs 4]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { percentile, withSwarm } from './lib.mjs';

/** utime + stime of a process in seconds (clock ticks of 100 Hz). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

async function worker() {
  const [url, user, pass, rate, seconds, id] = process.argv.slice(3);
  const nc = await connect({ servers: url, user, pass, name: `hook-load-${id}` });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const perSec = Number(rate);
  const total = Math.round(perSec * Number(seconds));
  const lat = [];
  let ok = 0;
  let failed = 0;
  const errors = new Map();
  let sent = 0;
  const inflight = new Set();
  const send = (i) => {
    const event = {
      hook: 'notification',
      id: `load-${id}-${i}-${randomUUID()}`,
      at: new Date().toISOString(),
      source: 'cli',
      message: `load ${id}/${i}`,
      level: 'info',
    };
    const t = performance.now();
    const p = nc
      .request('isoswarm.coordinator.hook', enc.encode(JSON.stringify({ event })), { timeout: 10_000 })
      .then((m) => {
        const body = JSON.parse(dec.decode(m.data));
        if (body.ok) {
          ok++;
          lat.push(performance.now() - t);
        } else throw new Error(body.error?.code ?? 'error');
      })
      .catch((e) => {
        failed++;
        errors.set(e.message, (errors.get(e.message) ?? 0) + 1);
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const start = performance.now();
  // Open loop: whatever is due by now is sent now, whether or not earlier ones were answered.
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSec));
      while (sent < due) send(sent++);
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const sendMs = performance.now() - start;
  await Promise.all([...inflight]);
  const doneMs = performance.now() - start;
  await nc.close();
  process.stdout.write(JSON.stringify({ id, sent, ok, failed, errors: [...errors], sendMs, doneMs, lat }));
}

async function main() {
  const rate = arg('rate', 2000);
  const seconds = arg('seconds', 30);
  const procs = arg('procs', 4);
  const swarm = withSwarm('hook-load');
  const cli = JSON.parse(readFileSync(`${swarm.home}/credentials.json`, 'utf8')).cli;
  try {
    const run = JSON.parse(readFileSync(`${swarm.home}/run.json`, 'utf8'));
    const cpu0 = { coordinator: cpuSeconds(run.coordinator.pid), nats: cpuSeconds(run.nats.pid) };
    const self = fileURLToPath(import.meta.url);
    const runs = Array.from(
      { length: procs },
      (_, i) =>
        new Promise((resolve, reject) => {
          const c = spawn(
            process.execPath,
            [self, '--worker', swarm.url, cli.user, cli.pass, String(rate / procs), String(seconds), String(i)],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          );
          let out = '';
          c.stdout.on('data', (d) => (out += d));
          c.once('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${i} exited ${code}`)),
          );
        }),
    );
    const results = await Promise.all(runs);
    const lat = results.flatMap((r) => r.lat);
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const ok = results.reduce((n, r) => n + r.ok, 0);
    const failed = results.reduce((n, r) => n + r.failed, 0);
    const wall = Math.max(...results.map((r) => r.doneMs)) / 1000;
    const cpu = {
      coordinator: (cpuSeconds(run.coordinator.pid) - cpu0.coordinator) / wall,
      nats: (cpuSeconds(run.nats.pid) - cpu0.nats) / wall,
    };
    const achieved = ok / wall;

    const nc = await connect({ servers: swarm.url, user: swarm.creds.user, pass: swarm.creds.pass });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info('ISOSWARM_EVENTS', { subjects_filter: 'isoswarm.events.hook.notification' });
    const inStream = info.state.subjects?.['isoswarm.events.hook.notification'] ?? 0;
    await nc.close();
    const { MemoryStore } = await import('../dist/src/memory/store.js');
    const store = MemoryStore.open(`${swarm.home}/memory`, { mapSizeBytes: 4 * 1024 ** 3, readOnly: true });
    const inMemory = store.count('notifications/');
    await store.close();

    const lost = ok - Math.min(inStream, inMemory);
    const metRate = achieved >= rate * 0.95;
    console.log(`\n## hook load: ${procs} processes, ${rate} events/s for ${seconds} s (open loop)`);
    console.log(
      `  sent ${sent}, acknowledged ${ok}, failed ${failed}${failed ? ` ${JSON.stringify(results.flatMap((r) => r.errors))}` : ''}`,
    );
    console.log(
      `  achieved ${achieved.toFixed(0)} events/s over ${wall.toFixed(1)} s — target ${rate}/s: ${metRate ? 'MET' : 'NOT MET'}`,
    );
    console.log(
      `  latency p50 ${percentile(lat, 50).toFixed(2)} ms, p90 ${percentile(lat, 90).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(1)} ms`,
    );
    console.log(
      `  CPU while loaded: coordinator ${(cpu.coordinator * 100).toFixed(0)} %, nats-server ${(cpu.nats * 100).toFixed(0)} % of one core (2 cores, shared with the ${procs} senders)`,
    );
    console.log(
      `  counted afterwards: ${inStream} in the stream, ${inMemory} in the memory — ${lost === 0 && inStream === ok && inMemory === ok ? 'none lost' : `MISMATCH (lost ${lost})`}`,
    );
    process.exitCode = metRate && inStream === ok && inMemory === ok && failed === 0 ? 0 : 1;
  } finally {
    swarm.stop();
  }
}

if (process.argv[2] === '--worker') await worker();
else await main();
