// Least privilege: with ISOSWARM_AGENT_USERS the Monitor and the PerformanceTuner run as `nobody`
// (they need no root), serve as usual, and the tuner refuses kernel settings; an unknown user keeps the
// swarm from starting with the reason.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';
import { needsRoot } from '../helpers/root.js';

const distRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `nobody` can run the agents only if every directory up to the checkout lets others in. */
function othersCanReach(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o005) !== 0o005) return false;
    if (d === '/') return true;
  }
}

function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const uids = status
    .find((l) => l.startsWith('Uid:'))!
    .split(/\s+/)
    .slice(1, 5)
    .map(Number);
  const groups = status
    .find((l) => l.startsWith('Groups:'))!
    .split(/\s+/)
    .slice(1)
    .filter(Boolean)
    .map(Number);
  // Real, effective, saved and file-system uid alike; no group of root's kept.
  assert.equal(new Set(uids).size, 1, `uids ${uids.join(' ')}`);
  if (uids[0] !== 0) assert.ok(!groups.includes(0), `supplementary groups ${groups.join(' ')}`);
  return uids[0]!;
}

const skip =
  needsRoot() || (othersCanReach(distRoot) ? false : `the checkout (${distRoot}) is not readable by other users`);

describe('agents without root', { skip }, () => {
  const home = scratchHome('least-priv');
  after(async () => assert.deepEqual(await finishHome(home), []));

  test('monitor and tuner as nobody: they serve, and kernel settings are refused', async () => {
    const env = testEnv(home, { ISOSWARM_AGENT_USERS: 'monitor=nobody, performance-tuner=nobody' });
    const up = cliSync(env, ['up']);
    assert.equal(up.code, 0, up.stderr);
    const nc = await rawClient(home, 'cli');
    try {
      const pids = new Map((await pingNames(nc)).map((s) => [s.name, s.pid]));
      assert.equal(pids.size, 5);
      const nobody = Number(
        readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .find((l) => l.startsWith('nobody:'))!
          .split(':')[2],
      );
      assert.equal(uidOf(pids.get('monitor')!), nobody);
      assert.equal(uidOf(pids.get('performance-tuner')!), nobody);
      assert.equal(uidOf(pids.get('unmounter')!), 0, 'the unmounter keeps root: it unmounts and signals');
      const ask = async (ep: string, payload: unknown) => {
        const m = await nc.request(`${SUBJ}.coordinator.${ep}`, new TextEncoder().encode(JSON.stringify(payload)), {
          timeout: 20_000,
        });
        return JSON.parse(new TextDecoder().decode(m.data)) as {
          ok: boolean;
          data?: Record<string, unknown>;
          error?: { code: string; message: string; details?: { refusal?: { code: string } } };
        };
      };
      const snap = await ask('monitor-snapshot', {});
      assert.equal(snap.ok, true, snap.error?.message);
      const tune = await ask('tune', { target: null });
      assert.equal(tune.ok, true, tune.error?.message);
      const sys = await ask('system', { action: 'apply', dryRun: false });
      assert.equal(sys.ok, false);
      assert.equal(sys.error!.code, 'refused');
      assert.equal(sys.error!.details?.refusal?.code, 'needs-root');
      assert.match(sys.error!.message, /needs root/);
    } finally {
      await nc.close();
    }
  });

  test('an unknown user is a clear error at start', () => {
    cliSync(testEnv(home), ['down']);
    const r = cliSync(testEnv(home, { ISOSWARM_AGENT_USERS: 'monitor=no-such-user-here' }), ['up'], undefined, 40_000);
    assert.notEqual(r.code, 0);
    const log = readFileSync(`${home}/logs/swarm.log`, 'utf8');
    assert.match(r.stderr + log, /ISOSWARM_AGENT_USERS: no user "no-such-user-here"/);
  });
});
