// Runs the built CLI as a real process, each test with its own state dir.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onInterrupt } from './interrupt-cleanup.js';

export const CLI = fileURLToPath(new URL('../../src/cli/bin.cjs', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function scratchHome(tag: string): string {
  const home = mkdtempSync(`/tmp/isoswarm-test-${tag}-`);
  // Killed by SIGTERM/SIGINT, the test runs no after(): its swarm is brought down and the dir removed.
  onInterrupt(`state dir ${home}`, () => {
    if (existsSync(`${home}/run.json`))
      spawnSync(process.execPath, [CLI, 'down'], { env: testEnv(home), stdio: 'ignore', timeout: 30_000 });
    if (existsSync(home)) removeScratch(home);
  });
  return home;
}

export function testEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The caller's own settings must not leak into a test; the test's `extra` may set them again.
  delete env.NATS_URL;
  delete env.ISOSWARM_CONFIG;
  return { ...env, ISOSWARM_HOME: home, ...extra };
}

export function cliSync(env: NodeJS.ProcessEnv, args: string[], input?: string, timeoutMs = 60_000): CliRun {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env,
    input: input ?? '',
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t };
}

export function cli(env: NodeJS.ProcessEnv, args: string[], input?: string, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * Removes a test's scratch dir, but never through a mount: anything still mounted below it (a test
 * that failed half-way) is unmounted first, deepest first; if that fails, the dir is left in place.
 */
export function removeScratch(dir: string): void {
  const under = () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
      .filter((p) => p === dir || p.startsWith(`${dir}/`));
  for (const m of under().reverse()) spawnSync('umount', [m]);
  if (under().length) {
    process.stderr.write(`test cleanup: still mounted under ${dir}, not removing it: ${under().join(', ')}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Brings the swarm of `home` down and removes the state dir, whatever state the test left. */
export function teardownHome(home: string): void {
  cliSync(testEnv(home), ['down'], undefined, 30_000);
  removeScratch(home);
}
