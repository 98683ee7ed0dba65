// External NATS servers as a site configures them, each a real nats-server set up here: TLS with a
// verified client certificate plus password and nkey users; and decentralized auth with a creds file.
// The CLI, the coordinator and the four agents all connect with what NATS_* names; wrong credentials
// are refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { closeBus, connectBus, type BusAuth } from '../../src/bus/connect.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import {
  makeNkeyUser,
  makeOperatorCreds,
  makeTlsFiles,
  startExternalServer,
  type ExternalServer,
  type TlsFiles,
} from '../helpers/external-nats.js';
import { finishHome } from '../helpers/home-processes.js';

const SERVICES = ['cleaner', 'coordinator', 'monitor', 'performance-tuner', 'unmounter'];

/** Brings a whole swarm up on `url` with `extra` NATS_* variables and exercises it through the CLI. */
async function swarmRoundTrip(tag: string, extra: NodeJS.ProcessEnv): Promise<void> {
  const home = scratchHome(tag);
  const env = { ...testEnv(home), ...extra };
  try {
    const up = cliSync(env, ['up', '--json']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as { embedded: boolean }).embedded, false);
    const st = cliSync(env, ['status', '--json']);
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(
      (JSON.parse(st.stdout) as { services: { name: string }[] }).services.map((s) => s.name).sort(),
      SERVICES,
    );
    const hook = cliSync(env, ['hooks', 'notify', '--message', `over ${tag}`, '--json']);
    assert.equal(hook.code, 0, hook.stderr);
    assert.equal(hook.stderr, '', 'no local-record warning: the hook went through the swarm');
    assert.equal((JSON.parse(hook.stdout) as { stored: string }).stored, 'stream');
    assert.equal(cliSync(env, ['memory', 'set', 'auth/probe', '{"ok":true}']).code, 0);
    assert.deepEqual(JSON.parse(cliSync(env, ['memory', 'get', 'auth/probe']).stdout), { ok: true });
    // The agents' own connections: the coordinator relays to the unmounter, which answers.
    const plan = cliSync(env, ['unmount', '--dry-run', '--json', home]);
    assert.equal(plan.code, 0, `the unmounter answers through the coordinator: ${plan.stderr}`);
  } finally {
    assert.deepEqual(await finishHome(home), [], 'processes left after down');
  }
}

const noOpenssl =
  spawnSync('openssl', ['version']).status === 0
    ? false
    : 'openssl is not installed (apt-get install openssl): no certificates to test TLS with';

describe('external nats-server with TLS, passwords, nkeys and creds', { skip: noOpenssl }, () => {
  const dir = realpathSync(mkdtempSync('/tmp/isoswarm-test-auth-ext-'));
  let tls: TlsFiles;
  let nkeyUser: { publicKey: string; seedFile: string };
  let tlsServer: ExternalServer;
  let opServer: ExternalServer;
  let credsFile: string;
  const password = 'a-real-secret-123';

  before(async () => {
    tls = await makeTlsFiles(dir);
    nkeyUser = makeNkeyUser(dir);
    tlsServer = await startExternalServer(dir, 'tls', {
      tls: { cert_file: tls.serverCert, key_file: tls.serverKey, ca_file: tls.ca, verify: true, timeout: 1 },
      authorization: { users: [{ user: 'builder', password }, { nkey: nkeyUser.publicKey }] },
    });
    const op = makeOperatorCreds(dir);
    credsFile = op.credsFile;
    opServer = await startExternalServer(dir, 'operator', op.serverConf);
  });
  after(async () => {
    await tlsServer?.stop();
    await opServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const clientTls = (): BusAuth['tls'] => ({ caFile: tls.ca, certFile: tls.clientCert, keyFile: tls.clientKey });
  const tryConnect = async (url: string, auth: BusAuth) => {
    const nc = await connectBus({ url, auth, name: 'auth-test', timeoutMs: 1500 });
    await closeBus(nc);
  };

  test('TLS server: password and nkey accepted; wrong password, unknown nkey and a missing client certificate refused', async () => {
    await tryConnect(tlsServer.url, { user: 'builder', pass: password, tls: clientTls() });
    await tryConnect(tlsServer.url, { nkeySeedFile: nkeyUser.seedFile, tls: clientTls() });
    await assert.rejects(
      tryConnect(tlsServer.url, { user: 'builder', pass: 'guess', tls: clientTls() }),
      /authorization/i,
    );
    await assert.rejects(
      tryConnect(tlsServer.url, { nkeySeedFile: makeNkeyUser(dir, 'stranger').seedFile, tls: clientTls() }),
      /authorization/i,
    );
    await assert.rejects(tryConnect(tlsServer.url, { user: 'builder', pass: password, tls: { caFile: tls.ca } }));
    await assert.rejects(
      tryConnect(tlsServer.url, { user: 'builder', pass: password }),
      'a plain connection to a TLS-only server',
    );
  });

  test('operator-mode server: the creds file is accepted; a bad or missing file is a clear error', async () => {
    await tryConnect(opServer.url, { credsFile });
    await assert.rejects(tryConnect(opServer.url, {}), /authorization/i);
    await assert.rejects(
      tryConnect(opServer.url, { credsFile: `${dir}/nope.creds` }),
      /cannot read the NATS creds file .*nope\.creds/,
    );
    await assert.rejects(tryConnect(opServer.url, { nkeySeedFile: tls.ca }), /holds no nkey user seed/);
  });

  test('the whole swarm on the TLS server with an nkey seed file and a client certificate', async () => {
    await swarmRoundTrip('auth-nkey', {
      NATS_URL: tlsServer.url,
      NATS_NKEY: nkeyUser.seedFile,
      NATS_TLS_CA: tls.ca,
      NATS_TLS_CERT: tls.clientCert,
      NATS_TLS_KEY: tls.clientKey,
    });
  });

  test('the whole swarm on the TLS server with a user and password', async () => {
    await swarmRoundTrip('auth-pass', {
      NATS_URL: tlsServer.url,
      NATS_USER: 'builder',
      NATS_PASS: password,
      NATS_TLS_CA: tls.ca,
      NATS_TLS_CERT: tls.clientCert,
      NATS_TLS_KEY: tls.clientKey,
    });
  });

  test('the whole swarm on the operator-mode server with a creds file', async () => {
    await swarmRoundTrip('auth-creds', { NATS_URL: opServer.url, NATS_CREDS: credsFile });
  });

  test('a wrong password keeps the swarm from starting, with the reason', async () => {
    const home = scratchHome('auth-wrong');
    try {
      const r = cliSync(
        {
          ...testEnv(home),
          NATS_URL: tlsServer.url,
          NATS_USER: 'builder',
          NATS_PASS: 'guess',
          NATS_TLS_CA: tls.ca,
          NATS_TLS_CERT: tls.clientCert,
          NATS_TLS_KEY: tls.clientKey,
        },
        ['up'],
        undefined,
        40_000,
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /authorization|coordinator exited/i);
    } finally {
      assert.deepEqual(await finishHome(home), []);
    }
  });
});
