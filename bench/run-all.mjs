// Runs every benchmark in turn (each prints its ratio against a baseline measured in the same run).
// Usage: node bench/run-all.mjs [name...]   e.g. node bench/run-all.mjs hook-latency dispatch
// Several need root (mounts, a private nats-server as root's state); the whole set takes ~10 minutes.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ALL = [
  'hook-latency',
  'hook-burst',
  'shell-parser',
  'dispatch',
  'memory',
  'hook-load',
  'monitor-bench',
  'teardown-bench',
  'delete-tree',
  'tuner-bench',
  'dashboard-bench',
];
const pick = process.argv.slice(2);
const unknown = pick.filter((p) => !ALL.includes(p));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of pick.length ? pick : ALL) {
  console.log(`\n# ${name}`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`./${name}.mjs`, import.meta.url))], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
console.log(`\n${failed ? `${failed} benchmark(s) missed their target or failed` : 'every benchmark met its target'}`);
process.exitCode = failed ? 1 : 0;
