// The swarm for real: `isoswarm up` starts five services on a private nats-server, any NATS client
// sees them, a killed agent comes back, bad messages get error replies, `down` leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { pidAlive, pingNames, rawClient, SUBJ } from '../helpers/bus.js';

const SERVICES = ['cleaner', 'coordinator', 'monitor', 'performance-tuner', 'unmounter'];

describe('swarm lifecycle', () => {
  const home = scratchHome('swarm');
  const env = testEnv(home);
  let nc: NatsConnection;
  let natsPid = 0;

  before(() => {
    const r = cliSync(env, ['up', '--json']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    teardownHome(home);
  });

  test('a plain client sees exactly the five services, with distinct live PIDs', async () => {
    nc = await rawClient(home);
    const seen = await pingNames(nc);
    assert.deepEqual(seen.map((s) => s.name).sort(), SERVICES);
    const pids = new Set(seen.map((s) => s.pid));
    assert.equal(pids.size, 5);
    for (const p of pids) assert.ok(pidAlive(p), `pid ${p} is not a live process`);
    const info = await nc.request('$SRV.INFO.unmounter', new Uint8Array(0), { timeout: 2000 });
    const v = JSON.parse(new TextDecoder().decode(info.data)) as { type: string; metadata: Record<string, string> };
    assert.equal(v.type, 'io.nats.micro.v1.info_response');
    assert.ok(v.metadata.host && v.metadata.pid);
    natsPid = (JSON.parse(cliSync(env, ['status', '--json']).stdout) as { services: unknown[] }).services.length;
    assert.equal(natsPid, 5);
  });

  test('kill -9 of each agent: a new PID answers within 5 s and status counts the restart', async () => {
    for (const name of SERVICES.filter((s) => s !== 'coordinator')) {
      const before = (await pingNames(nc)).find((s) => s.name === name)!;
      process.kill(before.pid, 'SIGKILL');
      const t0 = Date.now();
      let after: { pid: number } | undefined;
      while (Date.now() - t0 < 5000) {
        after = (await pingNames(nc)).find((s) => s.name === name && s.pid !== before.pid);
        if (after) break;
      }
      assert.ok(after, `${name} did not come back within 5 s`);
      assert.ok(pidAlive(after.pid));
      const st = JSON.parse(cliSync(env, ['status', '--json']).stdout) as {
        services: { name: string; restarts: number }[];
      };
      assert.equal(st.services.find((s) => s.name === name)?.restarts, 1, `${name} restart not counted`);
    }
  });

  test('malformed messages to every endpoint get error replies and the services keep serving', async () => {
    const info = await nc.requestMany('$SRV.INFO', new Uint8Array(0), { maxWait: 800 } as never);
    const subjects: string[] = [];
    for await (const m of info) {
      const v = JSON.parse(new TextDecoder().decode(m.data)) as { endpoints: { subject: string }[] };
      subjects.push(...v.endpoints.map((e) => e.subject));
    }
    assert.ok(subjects.length >= 10, `expected endpoints, saw ${subjects.join(' ')}`);
    for (const subject of subjects) {
      for (const bad of ['{not json', '[1,2', '"just a string"', '{"key": 42, "value": {}}']) {
        const m = await nc.request(subject, new TextEncoder().encode(bad), { timeout: 3000 });
        const code = m.headers?.get('Nats-Service-Error-Code');
        const body = JSON.parse(new TextDecoder().decode(m.data)) as { ok: boolean; error?: { code: string } };
        // Endpoints that take no input accept any object; the rest must refuse with an error reply.
        if (body.ok) continue;
        assert.ok(code, `${subject} replied an error without the micro error header`);
        assert.ok(body.error?.code, `${subject}: error reply without code`);
      }
    }
    const seen = await pingNames(nc);
    assert.deepEqual(seen.map((s) => s.name).sort(), SERVICES);
  });

  test('down stops every process it started', async () => {
    const pids = (await pingNames(nc)).map((s) => s.pid);
    const run = JSON.parse((await import('node:fs')).readFileSync(`${home}/run.json`, 'utf8')) as {
      nats: { pid: number };
    };
    await nc.close();
    const r = cliSync(env, ['down']);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 700));
    for (const p of [...pids, run.nats.pid]) assert.ok(!pidAlive(p), `pid ${p} survived down`);
  });
});

describe('who may call what on the private server', () => {
  const home = scratchHome('swarm-auth');
  const env = testEnv(home);
  after(() => teardownHome(home));

  test('the CLI role reaches the coordinator but gets a permission error on an agent endpoint', async () => {
    assert.equal(cliSync(env, ['up']).code, 0);
    const cliNc = await rawClient(home, 'cli');
    const errors: string[] = [];
    void (async () => {
      for await (const s of cliNc.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    try {
      const ok = await cliNc.request(`${SUBJ}.coordinator.memory-stats`, new TextEncoder().encode('{}'), {
        timeout: 3000,
      });
      assert.equal((JSON.parse(new TextDecoder().decode(ok.data)) as { ok: boolean }).ok, true);
      await assert.rejects(
        cliNc.request(`${SUBJ}.cleaner.clean`, new TextEncoder().encode('{"targets":[]}'), { timeout: 2000 }),
        /permission|timeout|503/i,
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        errors.some((e) => /permission/i.test(e)),
        `expected a permissions violation, saw: ${errors.join('; ')}`,
      );
    } finally {
      await cliNc.close();
    }
  });

  test('a wrong password is refused', async () => {
    const run = JSON.parse((await import('node:fs')).readFileSync(`${home}/run.json`, 'utf8')) as { url: string };
    const { connect } = await import('nats');
    await assert.rejects(
      connect({ servers: run.url, user: 'isoswarm-coordinator', pass: 'guess', timeout: 2000 }),
      /authorization|auth/i,
    );
  });

  test('the state dir is 0700 and the credentials and memory files 0600', async () => {
    const { statSync, readdirSync } = await import('node:fs');
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(`${home}/credentials.json`).mode & 0o777, 0o600);
    cliSync(env, ['memory', 'set', 'x/y', '1']);
    for (const f of readdirSync(`${home}/memory`))
      assert.equal(statSync(`${home}/memory/${f}`).mode & 0o077, 0, `${f} is readable by others`);
  });
});
