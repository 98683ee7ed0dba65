// Starts each agent as its own OS process (by path: src/ never imports agents/), restarts it with
// backoff when it dies, and stops restarting a crash loop, which status and the log then report.
// Agents that outlived a killed coordinator are adopted instead of duplicated: they are not our
// children, so their death is seen by polling /proc; when one dies it is restarted as our own child.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isAlive, refOf, signalIfSame, waitForExit, type ProcessRef } from '../host/proc/process-identity.js';
import type { Logger } from '../log/logger.js';
import { distPath } from '../package-root.js';
import { reapOrphanGroup } from '../runtime/swarm-processes.js';
import type { Config } from '../schemas/config.js';
import { agentNodeFlags } from './agent-node-flags.js';
import type { AgentUser } from './agent-users.js';

export type AgentState = 'starting' | 'running' | 'backoff' | 'crash-loop' | 'stopped';

export interface AgentStatus {
  name: string;
  pid: number | null;
  state: AgentState;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Started by an earlier coordinator and adopted by this one. */
  adopted: boolean;
}

export interface AgentExit {
  name: string;
  pid: number;
  code: number | null;
  signal: string | null;
}

interface Slot extends AgentStatus {
  child: ChildProcess | null;
  ref: ProcessRef | null;
  recentExits: number[];
  timer: NodeJS.Timeout | null;
}

export function agentEntry(name: string): string {
  return distPath('agents', name, 'main.js');
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private readonly exits = new EventEmitter();
  private stopping = false;
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly names: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly opts: Config['supervisor'],
    private readonly log: Logger,
    private readonly envFor: (name: string) => NodeJS.ProcessEnv = () => ({}),
    /** Agents that need no root run as these users (ISOSWARM_AGENT_USERS). */
    private readonly users: ReadonlyMap<string, AgentUser> = new Map(),
  ) {
    this.exits.setMaxListeners(0);
  }

  /** Starts every agent, except those in `adopted` (live agents of an earlier coordinator), which are watched. */
  start(adopted: ReadonlyMap<string, ProcessRef> = new Map()): void {
    for (const name of this.names) {
      const slot: Slot = {
        name,
        pid: null,
        state: 'starting',
        restarts: 0,
        lastExit: null,
        adopted: false,
        child: null,
        ref: null,
        recentExits: [],
        timer: null,
      };
      this.slots.set(name, slot);
      const ref = adopted.get(name);
      if (ref && isAlive(ref)) {
        Object.assign(slot, { pid: ref.pid, ref, state: 'running', adopted: true });
        this.log.info({ agent: name, pid: ref.pid }, 'agent adopted');
      } else this.spawn(slot);
    }
    this.poll = setInterval(() => this.pollAdopted(), 250);
    this.poll.unref();
  }

  /** Called when `name` exits (any instance we supervise); returns the unsubscribe function. */
  onExit(name: string, fn: (e: AgentExit) => void): () => void {
    const h = (e: AgentExit) => e.name === name && fn(e);
    this.exits.on('exit', h);
    return () => this.exits.off('exit', h);
  }

  private spawn(slot: Slot): void {
    // Its own process group: what it leaves behind when killed can be found and ended (reapOrphanGroup).
    const u = this.users.get(slot.name);
    const child = spawn(process.execPath, [...agentNodeFlags(slot.name), agentEntry(slot.name)], {
      env: { ...this.env, ...this.envFor(slot.name) },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      ...(u ? { uid: u.uid, gid: u.gid } : {}),
    });
    slot.child = child;
    slot.adopted = false;
    slot.pid = child.pid ?? null;
    slot.ref = child.pid ? refOf(child.pid) : null;
    slot.state = 'running';
    this.log.info({ agent: slot.name, pid: slot.pid, user: u?.user }, 'agent started');
    child.once('exit', (code, signal) => {
      if (slot.child === child) this.exited(slot, child.pid ?? 0, code, signal);
    });
  }

  private pollAdopted(): void {
    for (const slot of this.slots.values()) {
      if (slot.adopted && slot.ref && slot.state === 'running' && !isAlive(slot.ref))
        this.exited(slot, slot.ref.pid, null, null);
    }
  }

  private exited(slot: Slot, pid: number, code: number | null, signal: string | null): void {
    slot.child = null;
    slot.ref = null;
    slot.pid = null;
    const now = Date.now();
    slot.lastExit = { code, signal, at: new Date(now).toISOString() };
    const left = reapOrphanGroup(pid);
    if (left.length)
      this.log.warn(
        { agent: slot.name, pids: left.map((r) => r.pid) },
        'ended what the dead agent left running in its process group',
      );
    this.exits.emit('exit', { name: slot.name, pid, code, signal } satisfies AgentExit);
    if (this.stopping) {
      slot.state = 'stopped';
      return;
    }
    slot.recentExits = [...slot.recentExits.filter((t) => now - t < this.opts.crashLoopWindowMs), now];
    if (slot.recentExits.length > this.opts.crashLoopRestarts) {
      slot.state = 'crash-loop';
      this.log.error(
        { agent: slot.name, exits: slot.recentExits.length, windowMs: this.opts.crashLoopWindowMs, code, signal },
        'agent is crash-looping; not restarting it (see its log lines above; `isoswarm down && isoswarm up` retries)',
      );
      return;
    }
    const delay = Math.min(this.opts.backoffInitialMs * 2 ** (slot.recentExits.length - 1), this.opts.backoffMaxMs);
    slot.state = 'backoff';
    this.log.warn(
      { agent: slot.name, code, signal, restartInMs: delay, adopted: slot.adopted },
      'agent exited; restarting',
    );
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.stopping) return;
      slot.restarts++;
      this.spawn(slot);
    }, delay);
  }

  status(): AgentStatus[] {
    return [...this.slots.values()].map(({ name, pid, state, restarts, lastExit, adopted }) => ({
      name,
      pid,
      state,
      restarts,
      lastExit,
      adopted,
    }));
  }

  /** SIGTERM every agent (children and adopted ones), wait for the grace period, then SIGKILL what is left. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.poll) clearInterval(this.poll);
    const waits: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      const child = slot.child;
      if (slot.adopted && slot.ref) {
        const ref = slot.ref;
        waits.push(
          (async () => {
            signalIfSame(ref, 'SIGTERM');
            if (!(await waitForExit(ref, graceMs))) {
              this.log.warn({ agent: slot.name, pid: ref.pid }, 'adopted agent ignored SIGTERM; sending SIGKILL');
              signalIfSame(ref, 'SIGKILL');
              await waitForExit(ref, 2000);
            }
            this.exited(slot, ref.pid, null, null);
          })(),
        );
        continue;
      }
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        slot.state = 'stopped';
        continue;
      }
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => {
            this.log.warn({ agent: slot.name, pid: child.pid }, 'agent ignored SIGTERM; sending SIGKILL');
            child.kill('SIGKILL');
          }, graceMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }
}
