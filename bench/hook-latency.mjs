// Hook latency: `isoswarm hooks notification --message x` with the swarm up, median of N runs,
// against `node -e 0` measured in the same run. Target <= 2.0x.
import { CLI, median, report, timeSync, withSwarm } from './lib.mjs';

const N = Number(process.argv[2] ?? 30);
const swarm = withSwarm('hooks');
try {
  // Warm the page cache for both before measuring; interleave so drift hits both alike.
  timeSync(process.execPath, ['-e', '0'], swarm.env);
  timeSync(process.execPath, [CLI, 'hooks', 'notification', '--message', 'warm'], swarm.env);
  const base = [];
  const hook = [];
  for (let i = 0; i < N; i++) {
    base.push(timeSync(process.execPath, ['-e', '0'], swarm.env));
    hook.push(timeSync(process.execPath, [CLI, 'hooks', 'notification', '--message', `x${i}`], swarm.env));
  }
  const ratio = median(hook) / median(base);
  report('hook latency (swarm up)', { text: '<= 2.0x node -e 0', test: (r) => r <= 2.0 }, ratio, [
    `baseline node -e 0: median ${median(base).toFixed(1)} ms over ${N} runs`,
    `isoswarm hooks notification: median ${median(hook).toFixed(1)} ms over ${N} runs`,
  ]);
} finally {
  swarm.stop();
}
