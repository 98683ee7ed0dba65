// Who may see the dashboard: a non-loopback bind without a token is refused before anything starts
// (exit 3); with a token, every request without it gets 401 (page, event stream, /metrics); on
// loopback without a token, a foreign Host name (DNS rebinding) gets 403.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { pidAlive } from '../helpers/bus.js';
import { httpGet, startServe } from '../helpers/dashboard.js';
import { startServer, stopServer } from '../helpers/nats-restart.js';

const TOKEN = 'dash-test-token-0123456789abcdef';
const local = (url: string) => url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://127.0.0.1:');

describe('dashboard access', () => {
  const home = scratchHome('dash-access');
  const env = testEnv(home, { ISOSWARM_DASHBOARD_TOKEN: '' });
  after(() => teardownHome(home));

  test('non-loopback binds without a token are refused with exit 3, and nothing is started', () => {
    for (const args of [
      ['dashboard', '--bind', '0.0.0.0', '--port', '0'],
      ['metrics', '--bind', '::', '--port', '0'],
      ['up', '--dashboard', '--bind', '0.0.0.0'],
      ['up', '--metrics-port', '0', '--bind', '192.0.2.1'],
    ]) {
      const r = cliSync(env, args);
      assert.equal(r.code, 3, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /refusing to serve the dashboard on .* without a token/);
    }
    assert.ok(!existsSync(join(home, 'run.json')), 'up started a swarm although it refused');
    const short = cliSync(env, ['dashboard', '--bind', '0.0.0.0', '--token', 'short']);
    assert.equal(short.code, 3);
    assert.match(short.stderr, /at least 16 characters/);
    const bad = cliSync(env, ['dashboard', '--bind', 'example.org']);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /not an IP address/);
  });

  describe('with a running swarm', () => {
    let dash = '';
    let metricsOnly = '';
    before(() => {
      const r = cliSync(
        env,
        [
          'up',
          '--json',
          '--dashboard',
          '--dashboard-port',
          '0',
          '--metrics-port',
          '0',
          '--bind',
          '0.0.0.0',
          '--token',
          TOKEN,
        ],
        undefined,
        90_000,
      );
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { dashboards: { url?: string; page: boolean; error?: string }[] };
      assert.equal(s.dashboards.length, 2, r.stdout);
      dash = local(s.dashboards.find((d) => d.page)!.url!);
      metricsOnly = local(s.dashboards.find((d) => !d.page)!.url!);
    });

    test('with a token, requests without it get 401; with it, 200', async () => {
      for (const path of ['', 'app.js', 'uplot.js', 'events', 'api/state', 'metrics']) {
        const r = await httpGet(dash + path);
        assert.equal(r.status, 401, `/${path} without the token: ${r.status}`);
        assert.match(String(r.headers['www-authenticate']), /Bearer/);
        assert.equal(
          (await httpGet(dash + path, { Authorization: 'Bearer wrong-token-0123456789' })).status,
          401,
          `/${path} with a wrong token`,
        );
      }
      const page = await httpGet(dash, { Authorization: `Bearer ${TOKEN}` });
      assert.equal(page.status, 200);
      assert.match(page.body, /isoswarm dashboard/);
      const m = await httpGet(`${dash}metrics`, { Authorization: `Bearer ${TOKEN}` });
      assert.equal(m.status, 200);
      assert.match(m.body, /^isoswarm_build_info\{/m);
      // The metrics-only server: same rule, no page.
      assert.equal((await httpGet(`${metricsOnly}metrics`)).status, 401);
      assert.equal((await httpGet(`${metricsOnly}metrics`, { Authorization: `Bearer ${TOKEN}` })).status, 200);
      assert.equal((await httpGet(metricsOnly, { Authorization: `Bearer ${TOKEN}` })).status, 404);
    });

    test('?token= once: redirected without it, with a same-site HttpOnly cookie that then works', async () => {
      const r = await httpGet(`${dash}?token=${encodeURIComponent(TOKEN)}`);
      assert.equal(r.status, 303);
      assert.equal(r.headers.location, '/');
      const cookie = String(r.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const withCookie = await httpGet(dash, { Cookie: cookie.split(';')[0]! });
      assert.equal(withCookie.status, 200);
      assert.equal((await httpGet(dash, { Cookie: 'isoswarm_dashboard=nope-nope-nope-nope' })).status, 401);
    });

    test('event streams cut off abruptly, many at once, leave the coordinator serving', async () => {
      const coordinator = (JSON.parse(readFileSync(join(home, 'run.json'), 'utf8')) as { coordinator: { pid: number } })
        .coordinator.pid;
      const cuts = Array.from(
        { length: 30 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const req = request(`${dash}events`, { headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
              res.once('data', () => setTimeout(() => req.destroy(), (i % 10) * 150));
            });
            req.on('error', () => undefined);
            req.on('close', () => resolve());
            req.end();
          }),
      );
      await Promise.all(cuts);
      await new Promise((r) => setTimeout(r, 1500)); // updates keep flowing to what was cut
      assert.ok(pidAlive(coordinator), 'the coordinator died');
      assert.equal((await httpGet(dash, { Authorization: `Bearer ${TOKEN}` })).status, 200);
    });

    test('a port already taken is a clear failure (exit 1), not a hang', () => {
      const port = new URL(dash).port;
      const r = cliSync(env, ['dashboard', '--port', port, '--bind', '0.0.0.0', '--token', TOKEN], undefined, 30_000);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot serve on 0\.0\.0\.0:\d+: .*EADDRINUSE/);
    });

    test('on loopback without a token: served, but not to a foreign Host name', async () => {
      const d = await startServe(env, ['dashboard', '--port', '0']);
      try {
        assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
        assert.equal((await httpGet(d.url)).status, 200);
        assert.equal((await httpGet(d.metrics)).status, 200);
        const rebound = await httpGet(d.url, { Host: 'attacker.example:80' });
        assert.equal(rebound.status, 403);
      } finally {
        assert.equal(await d.stop(), 0, 'dashboard did not stop cleanly on SIGTERM');
      }
    });

    test('the page is told when its server loses the bus, and again when it is back', { timeout: 90_000 }, async () => {
      const d = await startServe(env, ['dashboard', '--port', '0']);
      const bus = async () => (JSON.parse((await httpGet(`${d.url}api/state`)).body) as { bus: string }).bus;
      const until = async (want: string) => {
        const end = Date.now() + 30_000;
        while ((await bus()) !== want) {
          if (Date.now() > end) throw new Error(`bus never became ${want}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        await until('connected');
        await stopServer(home);
        await until('disconnected');
        await startServer(home);
        await until('connected');
      } finally {
        assert.equal(await d.stop(), 0);
      }
    });
  });
});
