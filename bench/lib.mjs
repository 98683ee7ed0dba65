// Shared bench helpers: a private swarm in a scratch state dir, timing, and ratio printing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/src/cli/bin.cjs', import.meta.url));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export function timeSync(cmd, args, env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

export function withSwarm(tag) {
  const home = mkdtempSync(`/tmp/isoswarm-bench-${tag}-`);
  const env = { ...process.env, ISOSWARM_HOME: home };
  delete env.NATS_URL;
  const up = spawnSync(process.execPath, [CLI, 'up'], { env, stdio: 'inherit' });
  if (up.status !== 0) throw new Error('isoswarm up failed');
  const run = JSON.parse(readFileSync(`${home}/run.json`, 'utf8'));
  const creds = JSON.parse(readFileSync(`${home}/credentials.json`, 'utf8')).coordinator;
  const stop = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    spawnSync(process.execPath, [CLI, 'down'], { env, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  };
  // Interrupted (Ctrl-C, a timeout's SIGTERM): the swarm goes too, then the bench ends as signalled.
  function onSignal(sig) {
    stop();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  }
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { home, env, url: run.url, creds, stop };
}

export function report(name, target, ratio, lines) {
  const ok = target.test(ratio);
  console.log(`\n## ${name}`);
  for (const l of lines) console.log(`  ${l}`);
  console.log(`  ratio ${ratio.toFixed(2)}x — target ${target.text}: ${ok ? 'MET' : 'NOT MET'}`);
  return ok;
}
