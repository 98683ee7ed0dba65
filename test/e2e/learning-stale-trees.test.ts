// The reactor's out-of-the-box disk default, for real: with no cleanup targets configured, a disk
// alert on a build's file system cleans the build tree a finished run left behind a day ago (known
// from the run registry, through the Cleaner's plan and journal), and leaves everything else on that
// disk intact: the running build's tree, a tree a run was asked to keep, one a run finished with an
// hour ago, one owned by another user, and an old directory no run registered. Scratch dirs a dead
// tuner journalled go too; a live owner's, and one alike by name but not journalled, stay.
import assert from 'node:assert/strict';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { createRunDir, markDone, writeDurable, type RegisteredRun } from '../../src/run/registry.js';
import { refOf, type ProcessRef } from '../../src/host/proc/process-identity.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const DAY = 24 * 3600 * 1000;

describe('the reactor cleans build trees finished runs left behind, and nothing else', { skip: needsRoot() }, () => {
  const home = scratchHome('stale-trees');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-stale-trees-fs-'));
  const disk = `${scratch}/disk`;
  const t = (n: string) => `${disk}/${n}`;
  let env: NodeJS.ProcessEnv;

  /** A finished run in the registry, as `isoswarm run` leaves it: run.json and done.json. */
  const registerDone = (runId: string, chroot: string, doneAgoMs: number, keep: RegisteredRun['keep'] = null) => {
    const dir = createRunDir(home, runId);
    const run: RegisteredRun = {
      runId,
      name: 'old-build',
      chroot,
      keepOnFailure: false,
      keep,
      aptCache: false,
      systemApplied: false,
      cli: { pid: 1, startTime: 0 },
      leaseMs: 10_000,
      graceMs: 10_000,
      record: {} as RegisteredRun['record'],
    };
    writeDurable(join(dir, 'run.json'), run);
    markDone(dir, {
      at: new Date(Date.now() - doneAgoMs).toISOString(),
      recordFile: null,
      report: null,
      exitCode: 1,
      runnerLost: false,
    });
  };
  const tree = (path: string, bytes: number) => {
    mkdirSync(join(path, 'var', 'lib'), { recursive: true });
    writeFileSync(join(path, 'var', 'lib', 'data'), Buffer.alloc(bytes, 7));
  };

  before(async () => {
    mkdirSync(disk);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'isoswarm-stale-trees', disk]);
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({
        policy: { safePrefixes: [scratch], deny: [] },
        monitor: { intervalMs: 200, minAlertIntervalMs: 1000, hysteresisPct: 5 },
      }),
    );
    env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json`, CLEANUP_AUTO_TRIGGER: 'true' });
    tree(t('stale'), 3 << 20);
    registerDone('old-build-stale', t('stale'), 2 * DAY);
    tree(t('kept'), 256 << 10);
    registerDone('old-build-kept', t('kept'), 2 * DAY, { reason: '--keep' });
    tree(t('recent'), 256 << 10);
    registerDone('old-build-recent', t('recent'), 3600_000);
    tree(t('foreign'), 256 << 10);
    chownSync(t('foreign'), 65534, 65534);
    registerDone('old-build-foreign', t('foreign'), 2 * DAY);
    tree(t('unregistered'), 256 << 10);
    const old = new Date(Date.now() - 3 * DAY);
    utimesSync(t('unregistered'), old, old);
    assert.equal(cliSync(env, ['up']).code, 0);
    // Scratch dirs as the tuner journals them (after `up`: the tuner's own start recovers them too):
    // one whose owner died, one whose owner lives (this process), one alike by name but unjournalled.
    const journal = join(home, 'journal', 'scratch');
    mkdirSync(journal, { recursive: true });
    const scratchDir = (name: string, owner: ProcessRef | null) => {
      mkdirSync(t(name));
      writeFileSync(t(`${name}/sample`), Buffer.alloc(64 << 10, 3));
      if (owner !== undefined && owner !== null)
        writeFileSync(
          join(journal, `${name}.json`),
          JSON.stringify({ path: t(name), owner, at: new Date().toISOString() }),
        );
    };
    scratchDir('isoswarm-tune-dead01', { pid: 2 ** 22 + 1, startTime: 1 });
    scratchDir('isoswarm-tune-live01', refOf(process.pid));
    scratchDir('isoswarm-tune-nojrnl', null);
  });
  after(async () => {
    teardownHome(home);
    await runOk('umount', [disk]).catch(() => undefined);
    removeScratch(scratch);
  });

  test('a disk alert from a running build removes only the stale tree', async () => {
    const running = t('running');
    // The build fills its disk past 85 %, waits for the reactor, and checks its own tree survived.
    const build = `mkdir -p ${running} && head -c 3145728 /dev/zero > ${running}/rootfs.img && sleep 8 && test -s ${running}/rootfs.img`;
    const r = cliSync(
      env,
      ['run', '--no-tune', '--name', 'fill', '--chroot', running, '--', 'sh', '-c', build],
      undefined,
      120_000,
    );
    assert.equal(r.code, 0, `the running build's tree was touched or the run failed:\n${r.stderr}`);
    const end = Date.now() + 60_000;
    while (existsSync(t('stale')) && Date.now() < end) await new Promise((res) => setTimeout(res, 250));
    const seen = () => cliSync(env, ['memory', 'get', 'optimization/resource-management']).stdout;
    assert.equal(
      existsSync(t('stale')),
      false,
      `the stale tree of the finished run is gone; the reactor saw ${seen()}`,
    );
    for (const n of ['kept', 'recent', 'foreign', 'unregistered'])
      assert.equal(readFileSync(t(`${n}/var/lib/data`)).length, 256 << 10, `${n} is intact`);
    for (const stop = Date.now() + 30_000; existsSync(t('isoswarm-tune-dead01')) && Date.now() < stop;)
      await new Promise((res) => setTimeout(res, 250));
    assert.equal(existsSync(t('isoswarm-tune-dead01')), false, 'the scratch dir a dead tuner journalled is gone');
    for (const n of ['isoswarm-tune-live01', 'isoswarm-tune-nojrnl'])
      assert.equal(readFileSync(t(`${n}/sample`)).length, 64 << 10, `${n} is intact`);
    // The reactor records its action once the Cleaner is done: wait for it.
    type Acted = { entries: { action?: { targets?: string[]; status: string } }[] };
    let a: Acted['entries'][number] | undefined;
    for (const stop = Date.now() + 60_000; !a && Date.now() < stop; await new Promise((res) => setTimeout(res, 250))) {
      const m = cliSync(env, ['memory', 'get', 'optimization/resource-management']);
      if (m.code === 0)
        a = (JSON.parse(m.stdout) as Acted).entries.find((e) => e.action?.targets?.includes(t('stale')));
    }
    assert.deepEqual(a?.action?.targets, [t('stale')], 'only the stale tree was a target');
    assert.equal(a?.action?.status, 'done');
    const ex = JSON.parse(cliSync(env, ['patterns', 'explain', 'resource-management', '--json']).stdout) as {
      records: { decisions: { decision: string; evidence: { runId?: string } }[] }[];
    };
    const d = ex.records[0]?.decisions.find((x) => x.decision.includes('the build tree run old-build-stale left'));
    assert.ok(d, JSON.stringify(ex));
  });
});
