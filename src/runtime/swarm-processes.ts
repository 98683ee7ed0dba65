// The swarm's own processes as /proc sees them, whoever their parent is now: agents of one state dir
// (found by their entry script and ISOSWARM_HOME), and what a dead agent left in its process group.
// Used to adopt, to stop orphans on `down`, and to clean up after an agent killed mid-task.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { agentNodeFlags } from '../coordinator/agent-node-flags.js';
import {
  isAlive,
  readStatFields as readStat,
  signalIfSame,
  waitForExit,
  type ProcessRef,
} from '../host/proc/process-identity.js';

const AGENT_SCRIPT = /\/agents\/(cleaner|unmounter|performance-tuner|monitor)\/main\.js$/;

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/**
 * A Node binary: this one (the same file), or a node that was replaced by an upgrade since the agent
 * started (its exe reads "PATH (deleted)") or that `down` does not run under (nvm, sudo's PATH).
 */
function isNodeBinary(pid: number): boolean {
  try {
    const exe = statSync(`/proc/${pid}/exe`);
    const self = statSync(process.execPath);
    if (exe.dev === self.dev && exe.ino === self.ino) return true;
  } catch {
    return false;
  }
  try {
    const path = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    return path === process.execPath || /^node(js)?$/.test(basename(path));
  } catch {
    return false;
  }
}

/**
 * The agent a process runs, when it is exactly what the supervisor starts: this Node binary with the
 * agent's own flags (agent-node-flags.ts) and then its entry script, nothing else (any Node binary:
 * the one it was started with may have been upgraded since). Not a pager or an
 * editor showing an agent's file, nor another Node program given its path: `down` signals what this finds.
 */
export function agentNameOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
    if (script !== argv.length - 1) return null;
    const name = AGENT_SCRIPT.exec(argv[script]!)?.[1];
    if (!name) return null;
    const flags = agentNodeFlags(name);
    if (script !== 1 + flags.length || flags.some((f, i) => argv[1 + i] !== f)) return null;
    return isNodeBinary(pid) ? name : null;
  } catch {
    return null;
  }
}

function homeOf(pid: number): string | null {
  try {
    const kv = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('ISOSWARM_HOME='));
    return kv ? kv.slice('ISOSWARM_HOME='.length) : null;
  } catch {
    return null;
  }
}

export interface AgentProcess {
  name: string;
  ref: ProcessRef;
  ppid: number;
  pgid: number;
}

/** Is `ref` a live agent process named `name` serving the state dir `home`? (Checked before adopting or signalling.) */
export function isAgentOf(ref: ProcessRef, name: string, home: string): boolean {
  return isAlive(ref) && agentNameOf(ref.pid) === name && homeOf(ref.pid) === home;
}

/** Every live agent process of the swarm whose state dir is `home`. */
export function findAgentProcesses(home: string): AgentProcess[] {
  const out: AgentProcess[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const name = agentNameOf(pid);
    if (!name) continue;
    const st = readStat(pid);
    if (!st || st.state === 'Z' || homeOf(pid) !== home) continue;
    out.push({ name, ref: { pid, startTime: st.startTime }, ppid: st.ppid, pgid: st.pgid });
  }
  return out;
}

/** SIGTERM, a grace period, then SIGKILL; each only if the process is still the same one. */
export async function stopProcesses(refs: ProcessRef[], graceMs: number): Promise<ProcessRef[]> {
  const live = refs.filter((r) => signalIfSame(r, 'SIGTERM'));
  await Promise.all(
    live.map(async (r) => {
      if (await waitForExit(r, graceMs)) return;
      signalIfSame(r, 'SIGKILL');
      await waitForExit(r, 2000);
    }),
  );
  return live;
}

/**
 * After an agent that led its own process group (the supervisor starts agents with setsid) died:
 * what is left in that group (a compressor or a mount helper it was running) has no purpose any more.
 * A PID is not reused while a process group of that number exists, so members found here are the
 * dead agent's; if the number names a live process again, the group is someone else's and is left alone.
 */
export function reapOrphanGroup(leaderPid: number): ProcessRef[] {
  const leader = readStat(leaderPid);
  if (leader && leader.state !== 'Z') return [];
  const killed: ProcessRef[] = [];
  for (const pid of pids()) {
    const st = readStat(pid);
    if (!st || st.pgid !== leaderPid || st.state === 'Z') continue;
    const ref = { pid, startTime: st.startTime };
    if (signalIfSame(ref, 'SIGKILL')) killed.push(ref);
  }
  return killed;
}

/**
 * The coordinator and private nats-server of `home`, found in /proc when run.json cannot tell (it is
 * corrupted): the coordinator by its entry script and ISOSWARM_HOME, the server by its config file
 * inside the state dir.
 */
export function findSwarmCore(home: string): { what: string; ref: ProcessRef }[] {
  const out: { what: string; ref: ProcessRef }[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const st = readStat(pid);
    if (!st || st.state === 'Z') continue;
    const ref = { pid, startTime: st.startTime };
    if (/\/src\/coordinator\/main\.js$/.test(argv[1] ?? '') && homeOf(pid) === home)
      out.push({ what: 'coordinator', ref });
    else if (/(^|\/)nats-server$/.test(argv[0] ?? '') && argv.some((a) => a.startsWith(`${home}/`)))
      out.push({ what: 'nats-server', ref });
  }
  return out;
}
