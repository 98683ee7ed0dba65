// A run's apt cache detach gets its own session's answer, once: a later run's detach of the same
// chroot (its attach had no answer) never gets the use an earlier run's reap counted; a detach the run
// stopped waiting for is asked again after the teardown and answered with what it counted; a "no
// session" answer while our overlay is still mounted there (a tuner that could not take it back)
// stays a lesson. Real swarm, real overlays, the run's own post-task code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BusError } from '../../src/schemas/bus-error.js';
import { aptSwarm } from '../helpers/apt-swarm.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';

const ARCHIVES = 'var/cache/apt/archives';
type Detach = { sessionEnded: boolean; endedEarlier?: { reason: string }; stats: { hits: number; misses: number } };

describe('a detach gets its own run’s answer', { skip: needsRoot() }, () => {
  const sw = aptSwarm('apt-run-id');
  const { coordinator, lessons } = sw;

  /** A chroot attached for `runId`, whose build installed the cached package and downloaded `dl`. */
  async function built(name: string, runId: string, dl: string): Promise<string> {
    const chroot = sw.chroot(name);
    await coordinator('cache-attach', { chroot, runId });
    mkdirSync(`${chroot}/var/lib/dpkg`, { recursive: true });
    const para = (p: string, v: string) =>
      `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${v}\n`;
    writeFileSync(`${chroot}/var/lib/dpkg/status`, [para('old', '1.0'), para(dl, '2.0')].join('\n'));
    writeFileSync(`${chroot}/${ARCHIVES}/${dl}_2.0_amd64.deb`, readFileSync(makeDeb(sw.debs, dl, '2.0', 30_000)));
    return chroot;
  }

  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'answered',
      (e: unknown) => (e instanceof BusError ? e.code : String(e)),
    );

  test("a later run's detach never gets the use an earlier run's reap counted; the earlier run's gets it once", async () => {
    const chroot = await built('reused', 'run-1', 'one');
    // A teardown takes the overlay; another build's attach reaps the session.
    assert.equal(spawnSync('umount', [`${chroot}/${ARCHIVES}`]).status, 0);
    const other = sw.chroot('other');
    await coordinator('cache-attach', { chroot: other });
    try {
      const r = await sw.postTask(chroot, coordinator, 'run-2');
      assert.equal(r.cache, undefined, `run-2 attached nothing: ${JSON.stringify(r.cache)}`);
      assert.ok(
        r.notes?.some((n) => /no apt cache attached/.test(n)),
        JSON.stringify(r.notes),
      );
      assert.deepEqual(await lessons(chroot), []);
      const d = await coordinator<Detach>('cache-detach', { chroot, runId: 'run-1' });
      assert.match(d.endedEarlier?.reason ?? '', /mounted nowhere/);
      assert.deepEqual([d.stats.hits, d.stats.misses], [1, 1], JSON.stringify(d.stats));
      assert.equal(await code(coordinator('cache-detach', { chroot, runId: 'run-1' })), 'not-found', 'answered once');
    } finally {
      await coordinator('cache-detach', { chroot: other });
    }
  });

  test('a detach the run stopped waiting for is asked again after the teardown, and answered with its count', async () => {
    const chroot = await built('late', 'run-late', 'two');
    let first = true;
    // The first detach gives up at once (the tuner still does it): as a run whose wait ran out.
    const call = <T>(ep: string, payload: unknown): Promise<T> => {
      if (ep !== 'cache-detach' || !first) return coordinator<T>(ep, payload);
      first = false;
      return coordinator<T>(ep, payload, 1);
    };
    const r = await sw.postTask(chroot, call, 'run-late');
    assert.ok(
      r.notes?.some((n) => /apt cache detach: no reply/.test(n)),
      JSON.stringify(r.notes),
    );
    assert.ok(
      r.notes?.some((n) => /apt cache session had ended at .*earlier detach of this run/.test(n)),
      JSON.stringify(r.notes),
    );
    const stats = r.cache as unknown as Detach['stats'] | undefined;
    assert.deepEqual([stats?.hits, stats?.misses], [1, 1], JSON.stringify(stats));
    assert.deepEqual(await lessons(chroot), [], 'the session ended: no cache-detach-failed lesson');
  });

  test('no session, but our overlay is still mounted in the chroot: the lesson stays', async () => {
    const chroot = sw.chroot('left');
    // An overlay as the tuner mounts it, that no tuner session knows (one started again lost it).
    const priv = `${sw.scratch}/state/cache/apt-overlay/lost`;
    for (const d of [`${priv}/upper`, `${priv}/work`, `${chroot}/${ARCHIVES}`]) mkdirSync(d, { recursive: true });
    const opts = `lowerdir=${sw.apt},upperdir=${priv}/upper,workdir=${priv}/work`;
    const m = spawnSync('mount', ['-t', 'overlay', '-o', opts, 'isoswarm-apt-cache', `${chroot}/${ARCHIVES}`]);
    assert.equal(m.status, 0, String(m.stderr));
    const r = await sw.postTask(chroot, coordinator, 'run-left');
    const l = await lessons(chroot);
    assert.equal(l.length, 1, `a lesson: ${JSON.stringify(r.notes)}`);
    assert.match(JSON.stringify(l[0]), /still mounted/);
  });
});
