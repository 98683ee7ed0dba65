// A run whose apt cache was never attached asks for no detach and stores no cache-detach-failed
// lesson: its attach was refused (a cleanup held the cache; the record says so, and why), or the
// tuner has no session for the chroot when the detach comes. Real swarm, a real run, the run's own
// post-task code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { aptSwarm } from '../helpers/apt-swarm.js';
import { cli } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

describe('a run whose apt cache was never attached', { skip: needsRoot() }, () => {
  const sw = aptSwarm('apt-never');
  const { apt, env, lessons } = sw;

  test('an attach refused (a cleanup holds the cache): no detach asked, no lesson, the record says why', async () => {
    const chroot = sw.chroot('refused');
    const lock = await acquireTargetLock(apt);
    assert.ok(lock, 'the test holds the cache dir as a cleanup would');
    let r;
    try {
      r = await cli(
        env,
        ['run', '--chroot', chroot, '--apt-cache', '--no-tune', '--json', '--', 'true'],
        undefined,
        180_000,
      );
    } finally {
      await lock.release();
    }
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.deepEqual(await lessons(chroot), [], 'no cache-detach-failed lesson');
    const rec = JSON.parse(r.stdout) as { notes: string[]; cache?: unknown };
    assert.ok(
      rec.notes.some((n) =>
        /apt cache not attached, refused \(locked\): a cleanup of the apt cache .* is running/.test(n),
      ),
      JSON.stringify(rec.notes),
    );
    assert.equal(rec.cache, undefined, 'no cache use: nothing was attached');
    assert.ok(!rec.notes.some((n) => /apt cache detach/.test(n)), `no detach asked: ${JSON.stringify(rec.notes)}`);
  });

  test('a detach of a chroot the tuner has no session for (an attach with no answer): a note, no lesson', async () => {
    const chroot = sw.chroot('unanswered');
    const r = await sw.postTask(chroot);
    assert.deepEqual(await lessons(chroot), [], 'nothing of the cache is mounted there: no cache-detach-failed lesson');
    assert.ok(
      r.notes?.some((n) => /apt cache detach: no apt cache attached to/.test(n)),
      `the answer is in the notes: ${JSON.stringify(r.notes)}`,
    );
  });
});
