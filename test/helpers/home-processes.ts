// Every process that belongs to one test swarm, whoever its parent is: those started with its
// ISOSWARM_HOME (CLI, coordinator, agents) and the nats-server whose config lives in it.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { cliSync, testEnv } from './cli.js';

export interface HomeProcess {
  pid: number;
  ppid: number;
  cmd: string;
}

function stat(pid: number): { state: string; ppid: number } | null {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]) };
  } catch {
    return null;
  }
}

export function processesOfHome(home: string): HomeProcess[] {
  const out: HomeProcess[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    const pid = Number(n);
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const st = stat(pid);
      if (!st || st.state === 'Z') continue;
      if (env.includes(`ISOSWARM_HOME=${home}`) || cmd.includes(`${home}/`)) out.push({ pid, ppid: st.ppid, cmd });
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids;
  while (Date.now() < end) {
    left = left.filter((p) => {
      const s = stat(p);
      return s !== null && s.state !== 'Z';
    });
    if (left.length === 0) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return left;
}

/**
 * `isoswarm down`, then: what is still running is reported (the caller asserts on it) and killed, and
 * the state dir removed, so that a failing test still leaves the machine clean.
 */
export async function finishHome(home: string): Promise<HomeProcess[]> {
  cliSync(testEnv(home), ['down'], undefined, 60_000);
  const left = processesOfHome(home);
  await waitGone(
    left.map((p) => p.pid),
    1000,
  );
  const still = processesOfHome(home);
  for (const p of still) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitGone(
    still.map((p) => p.pid),
    3000,
  );
  rmSync(home, { recursive: true, force: true });
  return still;
}
