// Which NATS server a process talks to and with which credentials: the configured URL (NATS_URL or
// config) with NATS_USER/NATS_PASS, NATS_TOKEN, NATS_NKEY (seed file), NATS_CREDS (creds file) and
// NATS_TLS_CA/CERT/KEY, else the private server recorded by `isoswarm up`.
import type { BusAuth } from '../bus/connect.js';
import { credentialsProblem, readCredentials, type Role } from '../bus/nats-auth.js';
import { BusError } from '../schemas/bus-error.js';
import { readFarmCredentials } from '../bus/farm-auth.js';
import { existsSync } from 'node:fs';
import type { Config } from '../schemas/config.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { readRunFile, type RunFile } from './run-file.js';

export interface BusTarget {
  url: string;
  auth?: BusAuth;
  embedded: boolean;
  run: RunFile | null;
}

/** Reads one auth scheme from variables named `<prefix>USER`, `<prefix>PASS`, ... (undefined when none is set). */
function authFrom(env: NodeJS.ProcessEnv, p: string): BusAuth | undefined {
  const a: BusAuth = {};
  if (env[`${p}TOKEN`]) a.token = env[`${p}TOKEN`];
  else if (env[`${p}USER`]) {
    a.user = env[`${p}USER`];
    a.pass = env[`${p}PASS`] ?? '';
  }
  if (env[`${p}CREDS`]) a.credsFile = env[`${p}CREDS`];
  else if (env[`${p}NKEY`]) a.nkeySeedFile = env[`${p}NKEY`];
  const tls = {
    caFile: env[`${p}TLS_CA`] || undefined,
    certFile: env[`${p}TLS_CERT`] || undefined,
    keyFile: env[`${p}TLS_KEY`] || undefined,
  };
  if (tls.caFile || tls.certFile || tls.keyFile) a.tls = tls;
  return Object.keys(a).length ? a : undefined;
}

/** What a person configures for an external server. */
export function externalAuth(env: NodeJS.ProcessEnv): BusAuth | undefined {
  return authFrom(env, 'NATS_');
}

const CHILD_PREFIX = 'ISOSWARM_NATS_';
const CHILD_KEYS = ['USER', 'PASS', 'TOKEN', 'CREDS', 'NKEY', 'TLS_CA', 'TLS_CERT', 'TLS_KEY'];

/** The credentials a parent hands to the coordinator or an agent it starts (file paths, never file contents). */
export function authToEnv(auth: BusAuth | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined) env[CHILD_PREFIX + k] = v;
  };
  set('USER', auth?.user);
  set('PASS', auth?.user !== undefined ? (auth.pass ?? '') : undefined);
  set('TOKEN', auth?.token);
  set('CREDS', auth?.credsFile);
  set('NKEY', auth?.nkeySeedFile);
  set('TLS_CA', auth?.tls?.caFile);
  set('TLS_CERT', auth?.tls?.certFile);
  set('TLS_KEY', auth?.tls?.keyFile);
  return env;
}

/** Removes inherited ISOSWARM_NATS_* credentials so that a child gets only what it is handed. */
export function withoutChildAuth(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of CHILD_KEYS) delete out[CHILD_PREFIX + k];
  return out;
}

/** What the coordinator and the agents were handed by their parent. */
export function authFromProcessEnv(env: NodeJS.ProcessEnv = process.env): BusAuth | undefined {
  return authFrom(env, CHILD_PREFIX);
}

/** The private server's credentials of one role (the CLI is 'cli': it reaches the coordinator only). */
export function embeddedAuth(paths: StatePaths, role: Role = 'cli'): BusAuth | undefined {
  const problem = credentialsProblem(paths.root);
  if (problem)
    throw new BusError(
      'auth',
      `${problem}: stop the swarm (isoswarm down) and start it again (isoswarm up) to generate new credentials`,
    );
  return readCredentials(paths.root)?.[role];
}

/** Null when nothing is configured and no swarm was started. */
export function resolveBusTarget(config: Config, paths: StatePaths, env = process.env): BusTarget | null {
  const run = readRunFile(paths.runFile);
  if (config.nats.url) {
    const farm = readFarmCredentials(env, null);
    return { url: config.nats.url, auth: farm?.cli ?? externalAuth(env), embedded: false, run };
  }
  if (!run) {
    if (existsSync(paths.runFile))
      throw new BusError(
        'unavailable',
        `${paths.runFile} is corrupted: \`isoswarm up\` repairs it (it stops the swarm it described and starts a new one)`,
      );
    return null;
  }
  return { url: run.url, auth: run.embedded ? embeddedAuth(paths) : externalAuth(env), embedded: run.embedded, run };
}
