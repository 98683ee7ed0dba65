// Starts each agent as its own OS process (by path: src/ never imports agents/), restarts it with
// backoff when it dies, and stops restarting a crash loop, which status and the log then report.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import type { Config } from '../schemas/config.js';

export type AgentState = 'starting' | 'running' | 'backoff' | 'crash-loop' | 'stopped';

export interface AgentStatus {
  name: string;
  pid: number | null;
  state: AgentState;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

interface Slot extends AgentStatus {
  child: ChildProcess | null;
  recentExits: number[];
  timer: NodeJS.Timeout | null;
}

export function agentEntry(name: string): string {
  return fileURLToPath(new URL(`../../agents/${name}/main.js`, import.meta.url));
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;

  constructor(
    private readonly names: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly opts: Config['supervisor'],
    private readonly log: Logger,
    private readonly envFor: (name: string) => NodeJS.ProcessEnv = () => ({}),
  ) {}

  start(): void {
    for (const name of this.names) {
      const slot: Slot = { name, pid: null, state: 'starting', restarts: 0, lastExit: null, child: null, recentExits: [], timer: null };
      this.slots.set(name, slot);
      this.spawn(slot);
    }
  }

  private spawn(slot: Slot): void {
    const child = spawn(process.execPath, [agentEntry(slot.name)], { env: { ...this.env, ...this.envFor(slot.name) }, stdio: ['ignore', 'inherit', 'inherit'] });
    slot.child = child;
    slot.pid = child.pid ?? null;
    slot.state = 'running';
    this.log.info({ agent: slot.name, pid: slot.pid }, 'agent started');
    child.once('exit', (code, signal) => this.onExit(slot, child, code, signal));
  }

  private onExit(slot: Slot, child: ChildProcess, code: number | null, signal: string | null): void {
    if (slot.child !== child) return;
    slot.child = null;
    slot.pid = null;
    const now = Date.now();
    slot.lastExit = { code, signal, at: new Date(now).toISOString() };
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
    this.log.warn({ agent: slot.name, code, signal, restartInMs: delay }, 'agent exited; restarting');
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.stopping) return;
      slot.restarts++;
      this.spawn(slot);
    }, delay);
  }

  status(): AgentStatus[] {
    return [...this.slots.values()].map(({ name, pid, state, restarts, lastExit }) => ({ name, pid, state, restarts, lastExit }));
  }

  /** SIGTERM every agent, wait for the grace period, then SIGKILL what is left. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      const child = slot.child;
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
