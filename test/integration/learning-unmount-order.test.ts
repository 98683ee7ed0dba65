// unmount-strategies read back through the real swarm: a plain umount that failed (a host process
// held the mount) puts umount-after-settle first for the next teardowns; a bounded exploration then
// retries plain umount, and after enough successes it is first again. Each changed order is in the
// decision log that `patterns explain` prints.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { cli, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

interface Attempt {
  mountPoint: string;
  strategy: string;
  ok: boolean;
}

interface TeardownReply {
  result: { status: string; attempts: Attempt[] };
}

describe('unmount strategy order learned from real teardowns', { skip: needsRoot() }, () => {
  const home = scratchHome('learn-unm');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-learn-unm-fs-'));
  const chroot = `${scratch}/chroot`;
  let env: NodeJS.ProcessEnv;
  let holder: ChildProcess | undefined;

  const mountTmpfs = async (...names: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const n of names) {
      const dir = `${chroot}/${n}`;
      mkdirSync(dir, { recursive: true });
      await runOk('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'isoswarm-learn', dir]);
      out.push(dir);
    }
    return out;
  };
  const unmount = async (): Promise<TeardownReply> => {
    const r = await cli(env, ['unmount', chroot, '--json'], undefined, 120_000);
    assert.equal(r.code, 0, `unmount: ${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as TeardownReply;
  };
  const explain = (): { records: { decisions: { decision: string; evidence: Record<string, unknown> }[] }[] } => {
    const r = cliSync(env, ['patterns', 'explain', 'optimization/unmount-strategies/tmpfs', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ReturnType<typeof explain>;
  };

  before(() => {
    mkdirSync(chroot);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] }, cleanup: { settleMs: 5000, graceMs: 500 } }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
    assert.equal(cliSync(env, ['up']).code, 0);
  });
  after(() => {
    holder?.kill('SIGKILL');
    teardownHome(home);
    removeScratch(scratch);
  });

  test('a failure reorders, exploration re-measures, successes restore plain umount', async () => {
    // 1. A process outside the chroot keeps its working directory in the mount: plain umount fails
    //    (busy); once that failure is logged the holder goes, and the settle strategy succeeds.
    const [busy] = await mountTmpfs('run');
    holder = spawn('sleep', ['1000'], { cwd: busy, stdio: 'ignore' });
    const pending = unmount();
    const log = `${home}/logs/swarm.log`;
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (text.split('\n').some((l) => l.includes(`"msg":"umount ${busy}: `) && !l.includes(': ok"'))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    holder.kill('SIGKILL');
    const first = await pending;
    assert.deepEqual(
      first.result.attempts.map((a) => [a.strategy, a.ok]),
      [
        ['umount', false],
        ['umount-after-settle', true],
      ],
    );
    assert.equal(explain().records[0]?.decisions.length ?? 0, 0, 'the first teardown used the default order');

    // 2-3. The record now favours settle: it goes first (and works), and the change is logged and
    //    notified: `isoswarm monitor` shows it beside a notification hook's message.
    const monitor = cli(env, ['monitor', '--json', '--duration', '15'], undefined, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(cliSync(env, ['hooks', 'notification', '--message', 'squashfs step done']).code, 0);
    for (let i = 0; i < 2; i++) {
      await mountTmpfs('run');
      const r = await unmount();
      assert.equal(r.result.attempts[0]?.strategy, 'umount-after-settle', JSON.stringify(r.result.attempts));
      assert.equal(r.result.attempts[0]?.ok, true);
    }
    const shown = (await monitor).stdout
      .split('\n')
      .filter((l) => l.includes('"type":"notification"'))
      .map((l) => JSON.parse(l) as { source: string; message: string });
    assert.ok(
      shown.some(
        (n) => n.source === 'unmounter' && /^strategy order: tried umount-after-settle, then umount/.test(n.message),
      ),
      JSON.stringify(shown),
    );
    assert.ok(
      shown.some((n) => n.source.startsWith('hook') && n.message === 'squashfs step done'),
      JSON.stringify(shown),
    );
    assert.match(readFileSync(log, 'utf8'), /notification from unmounter: strategy order/);
    const after3 = explain().records[0]!.decisions;
    assert.equal(after3.length, 2);
    assert.match(after3[0]!.decision, /tried umount-after-settle, then umount for tmpfs/);
    assert.ok((after3[0]!.evidence.strategies as Record<string, { rate: number }>).umount!.rate < 0.5);

    // 4. Plain umount has not been tried for three attempts: it goes first once more, on every
    //    tmpfs of this teardown, and works.
    await mountTmpfs('a', 'b', 'c', 'd');
    const explored = await unmount();
    assert.deepEqual(
      explored.result.attempts.map((a) => [a.strategy, a.ok]),
      Array(4).fill(['umount', true]),
    );
    assert.match(explain().records[0]!.decisions.at(-1)!.decision, /tried umount first again .* to measure it/);

    // 5. Enough successes: plain umount is first again by the record itself, no decision needed.
    await mountTmpfs('run');
    const back = await unmount();
    assert.deepEqual(
      back.result.attempts.map((a) => [a.strategy, a.ok]),
      [['umount', true]],
    );
    assert.equal(explain().records[0]!.decisions.length, 3);

    // The plain-words view names the evidence and the decisions.
    const text = cliSync(env, ['patterns', 'explain', 'unmount-strategies/tmpfs']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /umount: \d+\/\d+ succeeded, recent success rate \d+ %/);
    assert.match(text.stdout, /decisions it changed \(last 3 of 3\)/);
    assert.match(text.stdout, /from source isoswarm-learn:/);
  });

  test('patterns explain: unknown keys are a usage error, missing records a failure', () => {
    const bad = cliSync(env, ['patterns', 'explain', 'optimization/no-such-pattern/x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown pattern "no-such-pattern"/);
    const none = cliSync(env, ['patterns', 'explain', 'optimization/unmount-strategies/nfs4']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /nothing stored under optimization\/unmount-strategies\/nfs4 yet/);
  });
});
