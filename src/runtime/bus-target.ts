// Which NATS server a process talks to and with which credentials: the configured URL (NATS_URL or
// config) with NATS_USER/NATS_PASS/NATS_TOKEN, else the private server recorded by `isoswarm up`.
import { readCredentials, type Role } from '../bus/nats-auth.js';
import type { Config } from '../schemas/config.js';
import type { StatePaths } from '../host/state-dir.js';
import { readRunFile, type RunFile } from './run-file.js';

export interface BusTarget {
  url: string;
  auth?: { user?: string; pass?: string; token?: string };
  embedded: boolean;
  run: RunFile | null;
}

export function externalAuth(env: NodeJS.ProcessEnv): BusTarget['auth'] {
  if (env.NATS_TOKEN) return { token: env.NATS_TOKEN };
  if (env.NATS_USER) return { user: env.NATS_USER, pass: env.NATS_PASS ?? '' };
  return undefined;
}

/** The private server's credentials of one role (the CLI is 'cli': it reaches the coordinator only). */
export function embeddedAuth(paths: StatePaths, role: Role = 'cli'): BusTarget['auth'] {
  return readCredentials(paths.root)?.[role];
}

/** Null when nothing is configured and no swarm was started. */
export function resolveBusTarget(config: Config, paths: StatePaths, env = process.env): BusTarget | null {
  const run = readRunFile(paths.runFile);
  if (config.nats.url) return { url: config.nats.url, auth: externalAuth(env), embedded: false, run };
  if (!run) return null;
  return { url: run.url, auth: run.embedded ? embeddedAuth(paths) : externalAuth(env), embedded: run.embedded, run };
}
