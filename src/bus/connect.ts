// The one owner of the NATS client: connections, with reconnect forever and a bounded first attempt.
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection, type ConnectionOptions } from 'nats';

import { inboxPrefixOfUser } from './nats-auth.js';

export type { NatsConnection } from 'nats';

/** How a process proves who it is: the private server's user/password, or an external server's scheme. */
export interface BusAuth {
  user?: string;
  pass?: string;
  token?: string;
  /** A file holding an nkey user seed (SU...): the seed never travels, it signs the server's nonce. */
  nkeySeedFile?: string;
  /** A decentralized-auth creds file (user JWT + seed), as `nsc` writes it. */
  credsFile?: string;
  /** TLS: the CA to trust, and a client certificate when the server verifies clients. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export interface ConnectOptions {
  url: string;
  name: string;
  /** Credentials for the embedded server or an external one. */
  auth?: BusAuth;
  /** Give up the first connection after this long (a hook must never hang). */
  timeoutMs?: number;
  /**
   * true: reconnect forever (agents, coordinator). Unset: ride out a short server restart (a long
   * `isoswarm run` must still report its post-task), bounded; every request keeps its own timeout.
   * false: never.
   */
  reconnect?: boolean;
}

/** 480 x 250 ms: two minutes of outage for a client that did not ask for more. */
const CLIENT_RECONNECT_ATTEMPTS = 480;

function readSecret(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new Error(`cannot read the ${what} file ${file}: ${(e as Error).message}`);
  }
}

/** Fills `co` from `auth`; a missing or unreadable key file is an error that names it. */
export function applyAuth(co: ConnectionOptions, auth: BusAuth | undefined): void {
  if (!auth) return;
  if (auth.user) {
    co.user = auth.user;
    co.pass = auth.pass;
  }
  if (auth.token) co.token = auth.token;
  if (auth.credsFile) co.authenticator = credsAuthenticator(readSecret(auth.credsFile, 'NATS creds'));
  else if (auth.nkeySeedFile) {
    // The seed file may carry comments or a trailing newline: take the seed line itself.
    const text = new TextDecoder().decode(readSecret(auth.nkeySeedFile, 'nkey seed'));
    const seed = text.split(/\s+/).find((l) => /^SU[A-Z2-7]{50,}$/.test(l));
    if (!seed) throw new Error(`${auth.nkeySeedFile} holds no nkey user seed (a line starting with SU)`);
    co.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (auth.tls && (auth.tls.caFile || auth.tls.certFile || auth.tls.keyFile)) {
    const tls: NonNullable<ConnectionOptions['tls']> = {};
    for (const [k, v] of Object.entries(auth.tls) as [keyof typeof auth.tls, string | undefined][]) {
      if (!v) continue;
      readSecret(v, `TLS ${k.replace('File', '')}`); // fail early with the file's name, not a TLS error
      tls[k] = v;
    }
    co.tls = tls;
  }
}

export async function connectBus(opts: ConnectOptions): Promise<NatsConnection> {
  const co: ConnectionOptions = {
    servers: opts.url.split(',').map((s) => s.trim()),
    name: opts.name,
    timeout: opts.timeoutMs ?? 2000,
    reconnect: opts.reconnect !== false,
    maxReconnectAttempts: opts.reconnect === true ? -1 : opts.reconnect === false ? 0 : CLIENT_RECONNECT_ATTEMPTS,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: false,
  };
  applyAuth(co, opts.auth);
  // Our generated users may subscribe only to their own role's inbox (see nats-auth permissionsFor).
  const inbox = inboxPrefixOfUser(opts.auth?.user);
  if (inbox) co.inboxPrefix = inbox;
  return connect(co);
}

/** Drains (pending replies delivered), but within `maxMs`: during an outage a drain waits for the server. */
export async function closeBus(nc: NatsConnection | undefined, maxMs = 2000): Promise<void> {
  if (!nc || nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), maxMs)));
  try {
    const r = await Promise.race([nc.drain().then(() => 'drained' as const), late]);
    if (r === 'late') await nc.close();
  } catch {
    await nc.close().catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
