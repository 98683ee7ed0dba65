// Where isoswarm keeps its state: ISOSWARM_HOME, else /var/lib/isoswarm for root, else the XDG state dir.
import { mkdirSync, chmodSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ISOSWARM_HOME) return env.ISOSWARM_HOME;
  if (userInfo().uid === 0) return '/var/lib/isoswarm';
  const xdg = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(xdg, 'isoswarm');
}

/** Creates the state dir (0700: it holds credentials and the memory) and returns well-known paths in it. */
export function ensureStateDir(dir = stateDir()): StatePaths {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const p = statePaths(dir);
  for (const sub of [p.logs, p.journal, p.jetstream, p.runs, p.checkpoints])
    mkdirSync(sub, { recursive: true, mode: 0o700 });
  return p;
}

export interface StatePaths {
  root: string;
  memory: string;
  runFile: string;
  logs: string;
  journal: string;
  jetstream: string;
  runs: string;
  checkpoints: string;
}

export function statePaths(dir = stateDir()): StatePaths {
  return {
    root: dir,
    memory: join(dir, 'memory'),
    runFile: join(dir, 'run.json'),
    logs: join(dir, 'logs'),
    journal: join(dir, 'journal'),
    jetstream: join(dir, 'jetstream'),
    runs: join(dir, 'runs'),
    checkpoints: join(dir, 'checkpoints'),
  };
}
