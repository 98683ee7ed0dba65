// The private nats-server isoswarm starts when no URL is configured: loopback only, a free port,
// JetStream under the state dir, a generated password per role. Started detached so the CLI can exit.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { which } from '../host/exec.js';
import { authorizationBlock, type Credentials } from './nats-auth.js';
import { refOf, type ProcessRef } from '../host/proc/process-identity.js';
import { connect } from 'node:net';

export const NATS_INSTALL_HINT =
  'install it with: apt-get install -y nats-server (Debian/Ubuntu), or set NATS_URL to an existing server';

export class MissingNatsServerError extends Error {
  constructor() {
    super(`nats-server not found on PATH or in /usr/sbin; ${NATS_INSTALL_HINT}`);
    this.name = 'MissingNatsServerError';
  }
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface EmbeddedServer {
  url: string;
  ref: ProcessRef;
  port: number;
}

export interface StartServerOptions {
  jetstreamDir: string;
  logFile: string;
  credentials: Credentials;
  prefix: string;
  /** Keep the server attached to this process (tests) instead of detaching it. */
  attached?: boolean;
}

async function waitReachable(port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

export async function startNatsServer(opts: StartServerOptions): Promise<EmbeddedServer> {
  const bin = await which('nats-server');
  if (!bin) throw new MissingNatsServerError();
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const confFile = `${opts.jetstreamDir}.conf`;
    // The password goes in a 0600 config file, not on the command line where `ps` shows it.
    writeFileSync(
      confFile,
      JSON.stringify({
        listen: `127.0.0.1:${port}`,
        jetstream: { store_dir: opts.jetstreamDir },
        authorization: authorizationBlock(opts.credentials, opts.prefix),
        max_payload: 8 * 1024 * 1024,
      }),
      { mode: 0o600 },
    );
    const log = openSync(opts.logFile, 'a', 0o600);
    const child = spawn(bin, ['-c', confFile], {
      detached: !opts.attached,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const ready = await Promise.race([waitReachable(port, 5000), exited.then(() => false)]);
    if (ready && child.pid) {
      if (!opts.attached) child.unref();
      const ref = refOf(child.pid);
      if (ref) return { url: `nats://127.0.0.1:${port}`, ref, port };
    }
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  throw new Error(`nats-server did not start; see ${opts.logFile}`);
}
