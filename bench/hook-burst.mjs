// A burst of hook calls with the swarm down: 8 writers x 10 calls at once (an editor saving many
// files, a parallel make), ROUNDS times in a row. Every call must exit 0 and every event must be in
// the memory exactly once after the next read; prints p50/p99 per round against `node -e 0`
// started in the same burst shape, under whatever load the machine has (stress-suite.sh adds two
// busy loops). Usage: node bench/hook-burst.mjs [ROUNDS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { CLI, median, percentile } from './lib.mjs';

const ROUNDS = Number(process.argv[2] ?? 10);

function timed(args, env) {
  return new Promise((resolve) => {
    const t = performance.now();
    const c = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, ms: performance.now() - t, err }));
  });
}

const burst = (args, env) => Promise.all(Array.from({ length: 80 }, (_, i) => timed(args(i), env)));

let failures = 0;
const p99s = [];
const baseP99s = [];
for (let round = 1; round <= ROUNDS; round++) {
  const home = mkdtempSync('/tmp/isoswarm-bench-burst-');
  const env = { ...process.env, ISOSWARM_HOME: home };
  delete env.NATS_URL;
  try {
    const base = await burst(() => ['-e', '0'], env);
    const runs = await burst((i) => [CLI, 'hooks', 'notify', '--message', `r${round}-${i}`], env);
    const bad = runs.filter((r) => r.code !== 0);
    const list = spawnSync(process.execPath, [CLI, 'memory', 'list', '--prefix', 'notifications/', '--json'], {
      env,
      encoding: 'utf8',
    });
    const msgs = list.status === 0 ? JSON.parse(list.stdout).map((e) => e.value.message) : [];
    const once = new Set(msgs).size === 80 && msgs.length === 80;
    const ms = runs.map((r) => r.ms);
    const bms = base.map((r) => r.ms);
    p99s.push(percentile(ms, 99));
    baseP99s.push(percentile(bms, 99));
    const ok = bad.length === 0 && once;
    if (!ok) failures++;
    console.log(
      `round ${String(round).padStart(2)}: ${ok ? 'ok  ' : 'FAIL'} exit≠0 ${bad.length}, recorded ${msgs.length}/80 (distinct ${new Set(msgs).size}), ` +
        `spooled ${runs.filter((r) => /memory was busy/.test(r.err)).length}; hook p50 ${median(ms).toFixed(0)} ms p99 ${percentile(ms, 99).toFixed(0)} ms; ` +
        `node -e 0 p50 ${median(bms).toFixed(0)} ms p99 ${percentile(bms, 99).toFixed(0)} ms`,
    );
    if (bad.length) console.log(`  first failure: ${bad[0].err.trim().split('\n')[0]}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
const ratio = median(p99s) / median(baseP99s);
console.log(`\n## hook burst (swarm down), ${ROUNDS} rounds of 80 concurrent calls`);
console.log(
  `  rounds passed ${ROUNDS - failures}/${ROUNDS}; median p99 ${median(p99s).toFixed(0)} ms vs node -e 0 p99 ${median(baseP99s).toFixed(0)} ms`,
);
console.log(
  `  ratio ${ratio.toFixed(2)}x (p99, same burst shape) — target: every round passes: ${failures === 0 ? 'MET' : 'NOT MET'}`,
);
process.exitCode = failures ? 1 : 0;
