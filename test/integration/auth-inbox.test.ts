// Per-role inboxes: each generated user may subscribe only to _INBOX.<role>.>, so no role can read
// another role's replies. A monitor-credentialed client that listens on the CLI's inbox (or on every
// inbox) is refused by the server and sees none of the replies the CLI gets; the coordinator, allowed
// everything, does see them (the control that shows the listener would have caught a leak).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function listen(nc: NatsConnection, subject: string): Promise<{ got: string[]; errors: string[] }> {
  const got: string[] = [];
  const errors: string[] = [];
  void (async () => {
    for await (const st of nc.status()) if (st.type === 'error') errors.push(String(st.data));
  })();
  const sub = nc.subscribe(subject);
  void (async () => {
    try {
      for await (const m of sub) got.push(m.subject);
    } catch (e) {
      errors.push((e as Error).message);
    }
  })();
  await nc.flush();
  return { got, errors };
}

describe('per-role inbox prefixes', () => {
  const home = scratchHome('inbox');
  const env = testEnv(home);
  const open: NatsConnection[] = [];
  before(() => {
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    assert.deepEqual(await finishHome(home), []);
  });

  test('a role cannot read the replies sent to another role', async () => {
    const cliNc = await rawClient(home, 'cli');
    const spy = await rawClient(home, 'monitor');
    const wide = await rawClient(home, 'cleaner');
    const coord = await rawClient(home, 'coordinator');
    open.push(cliNc, spy, wide, coord);
    const spyOnCli = await listen(spy, '_INBOX.cli.>');
    const spyOnAll = await listen(wide, '_INBOX.>');
    const control = await listen(coord, '_INBOX.cli.>');
    // The CLI's requests get their replies as usual, on _INBOX.cli.*.
    for (let i = 0; i < 3; i++) {
      const m = await cliNc.request(`${SUBJ}.coordinator.status`, enc({}), { timeout: 5000 });
      assert.equal((JSON.parse(new TextDecoder().decode(m.data)) as { ok: boolean }).ok, true);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(
      control.got.length >= 3 && control.got.every((s) => s.startsWith('_INBOX.cli.')),
      `control saw ${control.got.join(', ')}`,
    );
    assert.deepEqual(spyOnCli.got, [], "the monitor role read the CLI's replies");
    assert.deepEqual(spyOnAll.got, [], 'the cleaner role read replies on _INBOX.>');
    assert.ok(
      spyOnCli.errors.some((e) => /permission/i.test(e)),
      `no permission error for the monitor: ${spyOnCli.errors.join('; ')}`,
    );
    assert.ok(
      spyOnAll.errors.some((e) => /permission/i.test(e)),
      `no permission error for the cleaner: ${spyOnAll.errors.join('; ')}`,
    );
    // Its own inbox still works for the monitor role: a request it makes is answered.
    const own = await spy.request(`${SUBJ}.coordinator.memory-get`, enc({ key: 'optimization/none' }), {
      timeout: 5000,
    });
    assert.ok(own.data.length > 0);
  });
});
