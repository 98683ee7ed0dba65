// The hook path's minimal NATS client against a real nats-server with users: a request answered by a
// responder on the full client, a subject nobody serves, a wrong password, a big payload, and TLS
// (left to the full client).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { quickConnect, quickSupported, QuickBusError } from '../../src/bus/quick-request.js';
import { removeScratch } from '../helpers/cli.js';
import { startExternalServer, type ExternalServer } from '../helpers/external-nats.js';

describe('quick NATS request client', () => {
  const dir = mkdtempSync('/tmp/isoswarm-test-quick-');
  let srv: ExternalServer;
  let responder: NatsConnection;
  before(async () => {
    srv = await startExternalServer(dir, 'quick', { authorization: { users: [{ user: 'u', password: 'secret-pw' }] } });
    responder = await connect({ servers: srv.url, user: 'u', pass: 'secret-pw' });
    responder.subscribe('svc.echo', {
      callback: (_e, m) => m.respond(new TextEncoder().encode(`echo:${new TextDecoder().decode(m.data).length}`)),
    });
    await responder.flush();
  });
  after(async () => {
    await responder?.close();
    await srv?.stop();
    removeScratch(dir);
  });

  test('request/reply, several on one connection, a 200 KiB payload', async () => {
    const c = await quickConnect(srv.url, { user: 'u', pass: 'secret-pw' }, 2000);
    assert.ok(c);
    try {
      for (const n of [1, 10, 200 * 1024]) {
        const r = await c.request('svc.echo', new Uint8Array(n).fill(65), 2000);
        assert.equal(new TextDecoder().decode(r), `echo:${n}`);
      }
    } finally {
      c.close();
    }
  });

  test('nobody serving the subject is "unavailable" at once, not a timeout', async () => {
    const c = await quickConnect(srv.url, { user: 'u', pass: 'secret-pw' }, 2000);
    assert.ok(c);
    const t = performance.now();
    await assert.rejects(
      c.request('svc.nobody', new Uint8Array(1), 3000),
      (e: unknown) => e instanceof QuickBusError && e.code === 'unavailable',
    );
    assert.ok(performance.now() - t < 2500);
    c.close();
  });

  test('a wrong password is an auth error; TLS, nkeys and creds go to the full client', async () => {
    await assert.rejects(
      quickConnect(srv.url, { user: 'u', pass: 'wrong' }, 2000),
      (e: unknown) => e instanceof QuickBusError && e.code === 'auth',
    );
    assert.equal(quickSupported(srv.url, { nkeySeedFile: '/x' }), false);
    assert.equal(quickSupported(srv.url, { credsFile: '/x' }), false);
    assert.equal(quickSupported(srv.url, { tls: { caFile: '/x' } }), false);
    assert.equal(quickSupported(`${srv.url},nats://127.0.0.1:1`, undefined), false);
    assert.equal(await quickConnect(srv.url, { tls: { caFile: '/x' } }, 2000), null);
  });
});
