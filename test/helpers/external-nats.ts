// An "external" nats-server configured by the test itself, as a site would run one: TLS with a CA
// made by openssl (client certificates verified), users with passwords or nkeys, or decentralized
// auth (operator/account/user JWTs signed with nkeys, and a creds file). Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { runOk } from '../../src/host/exec.js';
import { freeLoopbackPort } from '../../src/bus/nats-server.js';
import { onInterrupt } from './interrupt-cleanup.js';

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => runOk('openssl', args);
  await ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=isoswarm test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await ossl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who === 'server' ? 'localhost' : 'isoswarm-client'}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    await ossl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${who}.ext`),
      '-out',
      f(`${who}.pem`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/** An nkey user: its public key goes in the server config, its seed in a 0600 file. */
export function makeNkeyUser(dir: string, name = 'nkey-user'): { publicKey: string; seedFile: string } {
  const kp = nkeys.createUser();
  const seedFile = join(dir, `${name}.nk`);
  writeFileSync(seedFile, `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
  return { publicKey: kp.getPublicKey(), seedFile };
}

const b64u = (v: string | Uint8Array) => Buffer.from(v).toString('base64url');

function jwt(signer: ReturnType<typeof nkeys.createOperator>, sub: string, name: string, nats: object): string {
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: signer.getPublicKey(),
    name,
    sub,
    nats,
  };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url');
  const body = `${b64u(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64u(JSON.stringify(claims))}`;
  return `${body}.${b64u(signer.sign(new TextEncoder().encode(body)))}`;
}

/** Decentralized auth: an operator, a system account, one JetStream-enabled account and a user in a creds file. */
export function makeOperatorCreds(dir: string): { serverConf: Record<string, unknown>; credsFile: string } {
  const op = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const acc = nkeys.createAccount();
  const user = nkeys.createUser();
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const js = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const opJwt = jwt(op, op.getPublicKey(), 'isoswarm-test-op', {
    type: 'operator',
    version: 2,
    system_account: sys.getPublicKey(),
  });
  const sysJwt = jwt(op, sys.getPublicKey(), 'SYS', {
    limits: unlimited,
    default_permissions: { pub: {}, sub: {} },
    type: 'account',
    version: 2,
  });
  const accJwt = jwt(op, acc.getPublicKey(), 'isoswarm-test-acc', {
    limits: { ...unlimited, ...js },
    default_permissions: { pub: {}, sub: {} },
    type: 'account',
    version: 2,
  });
  const userJwt = jwt(acc, user.getPublicKey(), 'isoswarm-test-user', {
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
    type: 'user',
    version: 2,
  });
  const credsFile = join(dir, 'user.creds');
  const seed = new TextDecoder().decode(user.getSeed());
  writeFileSync(
    credsFile,
    `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
    { mode: 0o600 },
  );
  return {
    serverConf: {
      operator: opJwt,
      system_account: sys.getPublicKey(),
      resolver: 'MEMORY',
      resolver_preload: { [sys.getPublicKey()]: sysJwt, [acc.getPublicKey()]: accJwt },
    },
    credsFile,
  };
}

export interface ExternalServer {
  url: string;
  stop(): Promise<void>;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcp(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

/** Starts nats-server with `conf` (listen and JetStream dir added) as a child of the test. */
export async function startExternalServer(
  dir: string,
  name: string,
  conf: Record<string, unknown>,
): Promise<ExternalServer> {
  const port = await freeLoopbackPort();
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    JSON.stringify({ listen: `127.0.0.1:${port}`, jetstream: { store_dir: join(dir, `${name}-js`) }, ...conf }),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const forget = onInterrupt(`nats-server ${name}`, () => void child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const end = Date.now() + 5000;
  while (!(await reachable(port))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`nats-server ${name} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      forget();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
