// Defense in depth: a raw client holding the COORDINATOR's credentials (the only role allowed to call
// the agents' destructive endpoints) asks the Unmounter to tear down, and the Cleaner to delete, host
// paths: `/`, `/home`, `/root`, a path outside the safe prefixes, `x/..`, a safe prefix itself, a
// symlink to `/`, `..` escapes. Each agent refuses by its own path policy, and nothing is touched.
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';
import { assertHostUnchanged, hostSnapshot } from '../helpers/host-snapshot.js';

interface Reply {
  ok: boolean;
  data?: {
    plan?: { refused?: unknown; targets?: { refused: unknown }[] };
    result?: { status: string; targets?: { status: string }[] } | null;
  };
  error?: { code: string; message: string };
}

async function ask(nc: NatsConnection, subject: string, payload: unknown): Promise<Reply> {
  const m = await nc.request(subject, new TextEncoder().encode(JSON.stringify(payload)), { timeout: 15_000 });
  return JSON.parse(new TextDecoder().decode(m.data)) as Reply;
}

/** Refused: an error reply, or a reply whose result (and every target in it) says refused. */
function refused(r: Reply): boolean {
  if (!r.ok) return true;
  const res = r.data?.result;
  if (!res) return false;
  return res.status === 'refused' && (res.targets ?? []).every((t) => t.status === 'refused');
}

const listing = (dir: string) => readdirSync(dir).sort();

describe('agents refuse host paths whoever asks', () => {
  const home = scratchHome('defense');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-defense-data-'));
  let nc: NatsConnection;
  let cliNc: NatsConnection;
  let targets: string[];

  before(async () => {
    assert.equal(cliSync(testEnv(home), ['up']).code, 0);
    nc = await rawClient(home, 'coordinator');
    cliNc = await rawClient(home, 'cli');
    mkdirSync(`${scratch}/x`);
    writeFileSync(`${scratch}/canary`, 'keep me\n');
    symlinkSync('/', `${scratch}/root-link`);
    symlinkSync('/home', `${scratch}/home-link`);
    targets = [
      '/',
      '/home',
      '/root',
      '/usr/share/doc',
      '/etc',
      'x/..',
      '',
      '   ',
      '/tmp',
      '/var/tmp',
      '/tmp/../etc',
      '/tmp/../',
      `${scratch}/root-link`,
      `${scratch}/home-link`,
      `${scratch}/x/../../..`,
      '//',
      '/./',
    ];
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    await cliNc?.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    assert.deepEqual(await finishHome(home), []);
  });

  test("the unmounter refuses every host target sent with the coordinator's credentials; nothing changes", async () => {
    const snap = hostSnapshot();
    const homeDirs = listing('/home');
    for (const target of targets) {
      for (const dryRun of [false, true]) {
        const r = await ask(nc, `${SUBJ}.unmounter.teardown`, { target, dryRun, graceMs: 0 });
        if (dryRun)
          assert.ok(
            !r.ok || r.data?.plan?.refused,
            `dry run of ${JSON.stringify(target)} was not refused: ${JSON.stringify(r).slice(0, 300)}`,
          );
        else
          assert.ok(
            refused(r),
            `teardown of ${JSON.stringify(target)} was not refused: ${JSON.stringify(r).slice(0, 300)}`,
          );
      }
    }
    assertHostUnchanged(snap);
    assert.deepEqual(listing('/home'), homeDirs);
    assert.equal(readFileSync(`${scratch}/canary`, 'utf8'), 'keep me\n');
  });

  test('the cleaner refuses to delete any of them, one at a time and all in one request; nothing is deleted', async () => {
    const snap = hostSnapshot();
    const before = {
      home: listing('/home'),
      doc: listing('/usr/share/doc'),
      scratch: listing(scratch),
      tmp: readdirSync('/tmp').length,
    };
    const real = targets.filter((t) => t.trim() !== '');
    for (const path of real) {
      for (const kind of ['tree', 'temp', 'locks', 'cache']) {
        const r = await ask(nc, `${SUBJ}.cleaner.clean`, { targets: [{ path, kind, maxAgeSec: 0, limitBytes: 0 }] });
        assert.ok(
          refused(r),
          `clean ${kind} of ${JSON.stringify(path)} was not refused: ${JSON.stringify(r).slice(0, 400)}`,
        );
      }
    }
    const all = await ask(nc, `${SUBJ}.cleaner.clean`, { targets: real.map((path) => ({ path, kind: 'tree' })) });
    assert.ok(refused(all), JSON.stringify(all).slice(0, 400));
    const empty = await ask(nc, `${SUBJ}.cleaner.clean`, { targets: [{ path: '', kind: 'tree' }] });
    assert.ok(refused(empty), 'an empty path is refused');
    assertHostUnchanged(snap);
    assert.deepEqual(
      { home: listing('/home'), doc: listing('/usr/share/doc'), scratch: listing(scratch) },
      { home: before.home, doc: before.doc, scratch: before.scratch },
    );
    assert.equal(readFileSync(`${scratch}/canary`, 'utf8'), 'keep me\n');
  });

  test("relayed through the coordinator with the CLI's credentials: the same refusals", async () => {
    for (const target of ['/', '/home', 'x/..', `${scratch}/root-link`]) {
      const td = await ask(cliNc, `${SUBJ}.coordinator.teardown`, { target });
      assert.ok(refused(td), `relayed teardown of ${target}: ${JSON.stringify(td).slice(0, 300)}`);
      const cl = await ask(cliNc, `${SUBJ}.coordinator.clean`, { targets: [{ path: target, kind: 'tree' }] });
      assert.ok(refused(cl), `relayed clean of ${target}: ${JSON.stringify(cl).slice(0, 300)}`);
    }
  });

  test('only the coordinator may call an agent: the CLI and every other agent get a permission error', async () => {
    const { connect } = await import('nats');
    const run = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as { url: string };
    const creds = JSON.parse(readFileSync(`${home}/credentials.json`, 'utf8')) as Record<
      string,
      { user: string; pass: string }
    >;
    const pids = new Map<string, number>();
    for await (const m of await nc.requestMany('$SRV.PING', new Uint8Array(0), { maxWait: 800 } as never)) {
      const v = JSON.parse(new TextDecoder().decode(m.data)) as { name: string; metadata: { pid: string } };
      pids.set(v.name, Number(v.metadata.pid));
    }
    const destructive = [
      `${SUBJ}.unmounter.teardown`,
      `${SUBJ}.cleaner.clean`,
      `${SUBJ}.performance-tuner.system`,
      `${SUBJ}.monitor.adopt-${pids.get('monitor')}`,
    ];
    for (const role of ['cli', 'cleaner', 'unmounter', 'performance-tuner', 'monitor']) {
      const c = await connect({
        servers: run.url,
        user: creds[role]!.user,
        pass: creds[role]!.pass,
        timeout: 3000,
        inboxPrefix: `_INBOX.${role}`,
      });
      const violations: string[] = [];
      void (async () => {
        for await (const st of c.status()) if (st.type === 'error') violations.push(String(st.data));
      })();
      try {
        for (const subject of destructive) {
          if (subject.startsWith(`isoswarm.${role}.`)) continue; // an agent may hear its own subjects
          await assert.rejects(
            c.request(subject, new TextEncoder().encode('{"target":"/","targets":[{"path":"/"}],"action":"status"}'), {
              timeout: 1000,
            }),
            `${role} -> ${subject}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(
          violations.some((v) => /permission/i.test(v)),
          `${role}: expected permission violations, saw ${violations.join('; ')}`,
        );
      } finally {
        await c.close();
      }
    }
  });
});
