// A session whose overlay was taken away is ended after a detach, not inside it (the detach answers
// with its own work), and as a detach ends it: its use recorded, its answer kept for its build. What
// a refused detach counted is saved with the session, and a session file an earlier version wrote
// (with fields no count depends on now) is still read. Real overlays, the tuner's own session code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import { adoptMountedSessions, readSessionFile } from '../../agents/performance-tuner/apt-session-file.js';
import type { CacheBuildStats } from '../../agents/performance-tuner/caches.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';
import { aptAttach, aptScratch, aptSetup, archives, quietLog } from '../helpers/apt-sessions.js';

const scratch = aptScratch('apt-reap-after');

const installed = (chroot: string, names: string[]): void => {
  mkdirSync(join(chroot, 'var/lib/dpkg'), { recursive: true });
  const para = (n: string) => `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n`;
  writeFileSync(join(chroot, 'var/lib/dpkg/status'), names.map(para).join('\n'));
};

test(
  'a detach answers with its own work; a session taken away is ended after it, its use recorded',
  {
    skip: needsRoot(),
  },
  async () => {
    const { cache, debs, dir } = await aptSetup(scratch, 'order');
    const recorded: CacheBuildStats[] = [];
    const apt = new AptSessions(join(dir, 'state2'), quietLog(), 1 << 30, true, async (stats) => {
      recorded.push(stats);
    });
    await apt.swept;
    const gone = await aptAttach(apt, cache, join(dir, 'gone'));
    const mine = await aptAttach(apt, cache, join(dir, 'mine'));
    writeFileSync(join(archives(gone.chroot), 'g_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'g', '1.0', 10_000)));
    writeFileSync(join(archives(mine.chroot), 'm_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'm', '1.0', 10_000)));
    installed(gone.chroot, ['old']);
    assert.equal(spawnSync('umount', [gone.handle!.target]).status, 0, "a teardown takes the other build's overlay");
    const d = await apt.detach(apt.key(mine.chroot), mine);
    assert.equal(d.harvestedInto, 'staged', 'the other session counts until its reap ends it');
    assert.deepEqual(
      recorded.map((r) => r.misses),
      [1],
      'answered before the other session is ended: only its own use is recorded yet',
    );
    assert.ok(apt.get(gone.chroot), 'the session taken away is still there when the detach answers');
    // Out of the map when its reap starts; recorded when that ends.
    for (const end = Date.now() + 30_000; (apt.size || recorded.length < 2) && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(apt.size, 0, 'ended after the detach');
    assert.equal(recorded.length, 2, 'its use recorded as a detach would');
    assert.deepEqual(
      [recorded[1]!.hits, recorded[1]!.misses, recorded[1]!.tracking],
      [1, 1, 'lookup'],
      JSON.stringify(recorded[1]),
    );
    assert.ok(existsSync(join(cache, 'g_1.0_amd64.deb')), 'its download went into the cache');
    assert.ok(existsSync(join(cache, 'm_1.0_amd64.deb')), 'and what the detach staged, published by the reap');
    const ended = apt.endedEarlier(gone.chroot, null);
    assert.match(ended?.endedEarlier.reason ?? '', /mounted nowhere/);
    assert.deepEqual(ended?.stats, recorded[1], "its build's detach gets what was recorded");
    assert.equal(apt.busy(), null, 'and its hold went');
  },
);

test('what a refused detach counted is saved with the session and read back', { skip: needsRoot() }, async () => {
  const { apt, cache, debs, dir } = await setup();
  const s = await aptAttach(apt, cache, join(dir, 'busy'));
  writeFileSync(join(archives(s.chroot), 'dl_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'dl', '1.0', 10_000)));
  installed(s.chroot, ['old', 'dl']);
  const busy = openSync(join(archives(s.chroot), 'old_1.0_amd64.deb'), 'r');
  try {
    const d = await apt.detach(apt.key(s.chroot), s);
    assert.equal(d.sessionEnded, false, d.unbind.reason);
    const file = readSessionFile(s.dirs.privateDir);
    assert.ok(typeof file !== 'string', String(file));
    assert.deepEqual(file.counted, {
      hits: [{ name: 'old_1.0_amd64.deb', size: s.snapshot.files['old_1.0_amd64.deb']!.size }],
      misses: [{ name: 'dl_1.0_amd64.deb', size: d.harvest.harvested[0]!.size }],
      hitsSeen: true,
    });
    const back = (await adoptMountedSessions(apt.overlayRoot, 1)).find((a) => a.session.chroot === s.chroot);
    back?.session.capture?.stop();
    assert.deepEqual(back?.session.counted, file.counted, 'a tuner started again counts on from there');
    // Written by an earlier version: fields no count depends on any more are still accepted.
    const path = join(s.dirs.privateDir, 'session.json');
    const old = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { snapshot: object };
    delete old.counted;
    delete old.runId;
    writeFileSync(path, JSON.stringify({ ...old, overlapped: true, snapshot: { ...old.snapshot, armed: false } }));
    const read = readSessionFile(s.dirs.privateDir);
    assert.ok(typeof read !== 'string', `an old session file is read: ${String(read)}`);
    assert.deepEqual(
      [read.cacheDir, read.chroot, read.snapshot.files, read.installedBefore, read.counted, read.runId],
      [s.dir, s.chroot, s.snapshot.files, s.installedBefore ? [...s.installedBefore] : null, undefined, undefined],
    );
  } finally {
    closeSync(busy);
  }
  const again = await apt.detach(apt.key(s.chroot), s);
  assert.equal(again.sessionEnded, true, again.unbind.reason);
  assert.deepEqual([again.stats.hits, again.stats.misses], [1, 1], JSON.stringify(again.stats));

  async function setup() {
    return aptSetup(scratch, 'saved');
  }
});

test(
  'a tuner started again ends a session it took back with what the refused detach counted',
  { skip: needsRoot() },
  async () => {
    const { apt, cache, debs, dir } = await aptSetup(scratch, 'restart');
    const chroot = join(dir, 'r');
    mkdirSync(chroot);
    const s = await apt.attach(cache, chroot, 1 << 30, join(apt.overlayRoot, 'r'), Number.POSITIVE_INFINITY, 'run-r');
    assert.ok(typeof s === 'object', String(s));
    writeFileSync(join(archives(chroot), 'dl_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'dl', '1.0', 10_000)));
    installed(chroot, ['old', 'dl']);
    const busy = openSync(join(archives(chroot), 'old_1.0_amd64.deb'), 'r');
    try {
      assert.equal((await apt.detach(apt.key(chroot), s)).sessionEnded, false);
    } finally {
      closeSync(busy);
    }
    // The chroot's dpkg status is gone (as after a teardown): only what was read back knows the hit.
    rmSync(join(chroot, 'var/lib/dpkg/status'));
    s.capture?.stop();
    const again = new AptSessions(join(dir, 'state'), quietLog(), 1 << 30, false);
    await again.ready;
    const back = again.get(chroot);
    assert.ok(back, 'taken back');
    assert.equal(back.runId, 'run-r', 'the run that attached, read back');
    const d = await again.detach(again.key(chroot), back);
    assert.equal(d.sessionEnded, true, d.unbind.reason);
    assert.deepEqual([d.stats.hits, d.stats.misses, d.stats.tracking], [1, 1, 'lookup'], JSON.stringify(d.stats));
    assert.equal(again.endedEarlier(chroot, 'run-other'), undefined, "another run's detach does not get its answer");
    assert.ok(again.endedEarlier(chroot, 'run-r'), 'kept for its own run');
    // The first tuner lets go of its hold (its overlay is gone now).
    await apt.detach(apt.key(chroot), s).catch(() => undefined);
  },
);
