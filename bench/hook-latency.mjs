// Hook latency with the swarm up, side by side with `node -e 0` (interleaved, median of N each):
//   a hook call (isoswarm hooks notification; a Claude Code PostToolUse event)   target <= 1.5x
//   the guard's decision for a Bash command that needs the parser, the mount table and the process
//   roots (a Claude Code PreToolUse event, and `isoswarm guard`)                 target <= 1.7x
// then the floor: what node itself costs, what loading the bundle costs with and without the V8
// code cache, what the first NATS round trip costs, and what the parser costs cold.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI, median, report, timeSync, withSwarm } from './lib.mjs';

const N = Number(process.argv[2] ?? 30);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

function timeWithInput(args, input, env) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, input, stdio: ['pipe', 'pipe', 'ignore'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return { ms: performance.now() - t, out: r.stdout.toString() };
}

const swarm = withSwarm('hooks');
let ok = true;
try {
  const tree = `${swarm.home}/project`;
  mkdirSync(`${tree}/build`, { recursive: true });
  const guardCmd = `cd ${tree} && rm -rf build/`;
  const ev = (name, extra) =>
    JSON.stringify({ session_id: 'bench', transcript_path: '/tmp/t', cwd: tree, hook_event_name: name, ...extra });
  const post = ev('PostToolUse', {
    tool_name: 'Read',
    tool_input: { file_path: '/etc/hostname' },
    tool_response: { ok: true },
  });
  const pre = ev('PreToolUse', { tool_name: 'Bash', tool_input: { command: guardCmd } });
  const env = swarm.env;
  const runs = {
    base: () => timeSync(process.execPath, ['-e', '0'], env),
    notify: (i) => timeSync(process.execPath, [CLI, 'hooks', 'notification', '--message', `x${i}`], env),
    claudePost: () => timeWithInput([CLI, 'hooks', 'claude'], post, env).ms,
    guardHook: () => timeWithInput([CLI, 'hooks', 'claude'], pre, env).ms,
    guardCli: () => timeSync(process.execPath, [CLI, 'guard', '--cwd', tree, '--', guardCmd], env),
    help: () => timeSync(process.execPath, [CLI, 'hooks', '--help'], env),
    helpNoCache: () => timeSync(process.execPath, [CLI, 'hooks', '--help'], { ...env, ISOSWARM_CODE_CACHE: '0' }),
    notifyNoCache: (i) =>
      timeSync(process.execPath, [CLI, 'hooks', 'notification', '--message', `n${i}`], {
        ...env,
        ISOSWARM_CODE_CACHE: '0',
      }),
  };
  // Warm the page cache, the code cache and the coordinator's parser; check the guard really decides.
  for (const f of Object.values(runs)) f(0);
  const verdict = timeWithInput(
    [CLI, 'hooks', 'claude'],
    ev('PreToolUse', { tool_name: 'Bash', tool_input: { command: `sudo rm -rf /usr` } }),
    env,
  ).out;
  if (!/"permissionDecision": "deny"/.test(verdict)) throw new Error(`the guard did not deny rm -rf /usr: ${verdict}`);
  const t = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let i = 0; i < N; i++) for (const [k, f] of Object.entries(runs)) t[k].push(f(i + 1));
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
  const r = (k) => m[k] / m.base;
  const ms = (k) => `${m[k].toFixed(1)} ms (${r(k).toFixed(2)}x)`;
  ok =
    report(
      'hook call (swarm up): isoswarm hooks notification',
      { text: '<= 1.5x node -e 0', test: (x) => x <= 1.5 },
      r('notify'),
      [
        `node -e 0: median ${m.base.toFixed(1)} ms over ${N} runs (interleaved with every row below)`,
        `isoswarm hooks notification: ${ms('notify')}`,
      ],
    ) && ok;
  ok =
    report(
      'hook call (swarm up): Claude Code PostToolUse via isoswarm hooks claude',
      { text: '<= 1.5x node -e 0', test: (x) => x <= 1.5 },
      r('claudePost'),
      [`isoswarm hooks claude (PostToolUse): ${ms('claudePost')}`],
    ) && ok;
  ok =
    report(
      'guard decision (swarm up): Claude Code PreToolUse Bash',
      { text: '<= 1.7x node -e 0', test: (x) => x <= 1.7 },
      r('guardHook'),
      [
        `command: ${guardCmd} (parsed, mount table read, process roots scanned, policy checked)`,
        `isoswarm hooks claude (PreToolUse Bash): ${ms('guardHook')}`,
      ],
    ) && ok;
  ok =
    report(
      'guard decision (swarm up): isoswarm guard',
      { text: '<= 1.7x node -e 0', test: (x) => x <= 1.7 },
      r('guardCli'),
      [`isoswarm guard -- '${guardCmd}': ${ms('guardCli')}`],
    ) && ok;

  // The floor.
  const size = (f) => statSync(`${DIST}cli/${f}`).size;
  const cache = readdirSync(`${DIST}cli`).find((f) => f.startsWith('hooks.cjs.') && f.endsWith('.v8cache'));
  const probe = spawnSync(process.execPath, [fileURLToPath(new URL('./hook-floor-probe.mjs', import.meta.url))], {
    env,
    encoding: 'utf8',
  });
  const cold = [];
  for (let i = 0; i < 5; i++)
    cold.push(
      timeSync(
        process.execPath,
        ['-e', `require(${JSON.stringify(fileURLToPath(new URL('../node_modules/mvdan-sh', import.meta.url)))})`],
        env,
      ),
    );
  const down = { ...env, ISOSWARM_HOME: `${swarm.home}/down` };
  const local = [];
  for (let i = 0; i < 5; i++)
    local.push(timeSync(process.execPath, [CLI, 'guard', '--cwd', tree, '--', guardCmd], down));
  console.log('\n## floor');
  console.log(
    `  bundle dist/cli/hooks.cjs ${(size('hooks.cjs') / 1024).toFixed(0)} KiB; V8 code cache ${cache ? `${(size(cache) / 1024).toFixed(0)} KiB` : 'absent'} (Node 20 has no module compile cache: bin.cjs keeps one beside the bundle)`,
  );
  console.log(
    `  node start + bundle load (hooks --help): ${ms('help')} with the code cache, ${ms('helpNoCache')} without`,
  );
  console.log(`  hooks notification without the code cache: ${ms('notifyNoCache')}`);
  console.log(
    `  NATS from a fresh process (in-process timings): ${probe.status === 0 ? probe.stdout.trim() : `probe failed: ${probe.stderr.trim()}`}`,
  );
  console.log(
    `  shell parser (mvdan-sh) cold in a fresh process: median ${median(cold).toFixed(1)} ms (${(median(cold) / m.base).toFixed(2)}x node -e 0): why the coordinator keeps it loaded`,
  );
  console.log(
    `  guard with the swarm down (parser loaded in the call): median ${median(local).toFixed(1)} ms (${(median(local) / m.base).toFixed(2)}x)`,
  );
  console.log(
    '  a V8 startup snapshot (node --snapshot-blob) would need the node flag on the hook command line; not used',
  );
} finally {
  swarm.stop();
}
process.exitCode = ok ? 0 : 1;
