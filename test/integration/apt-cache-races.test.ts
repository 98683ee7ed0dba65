// The apt cache's sessions under concurrent requests and outside interference: attach and detach run
// one at a time (a build attaching while the last one lets go sees the cache after that detach
// changed it, never during), a detach whose unmount fails keeps the others from thinking they are
// last, and an overlay taken away by someone else (a teardown) frees its session and hold without
// touching a mount that got its id. Real overlays, real .debs, the tuner's own session code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';
import { aptAttach, aptScratch, aptSetup, archives, quietLog } from '../helpers/apt-sessions.js';

const scratch = aptScratch('apt-races');
const setup = (name: string) => aptSetup(scratch, name);
const attach = aptAttach;

test('a build attaching while the last one detaches waits for that detach', { skip: needsRoot() }, async () => {
  const { apt, cache, debs, dir } = await setup('wait');
  const one = await attach(apt, cache, join(dir, 'one'));
  writeFileSync(join(archives(one.chroot), 'new_2.0_amd64.deb'), readFileSync(makeDeb(debs, 'new', '2.0', 20_000)));
  const detaching = apt.detach(apt.key(one.chroot), one);
  const attaching = attach(apt, cache, join(dir, 'two'));
  const [d, two] = await Promise.all([detaching, attaching]);
  try {
    assert.equal(d.harvestedInto, 'cache', 'nobody else was attached when it detached');
    assert.ok(two.snapshot.files['new_2.0_amd64.deb'], 'the second attach came after the harvest');
    assert.ok(existsSync(join(archives(two.chroot), 'new_2.0_amd64.deb')), 'and sees it');
  } finally {
    await apt.detach(apt.key(two.chroot), two);
  }
});

test('a detach whose unmount fails keeps the cache from being changed by another', { skip: needsRoot() }, async () => {
  const { apt, cache, debs, dir } = await setup('busy');
  const a = await attach(apt, cache, join(dir, 'a'));
  const b = await attach(apt, cache, join(dir, 'b'));
  writeFileSync(join(archives(b.chroot), 'fromb_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'fromb', '1.0', 10_000)));
  const busy = openSync(join(archives(a.chroot), 'old_1.0_amd64.deb'), 'r'); // the umount of a's overlay fails: EBUSY
  let closed = false;
  try {
    const [da, db] = await Promise.all([apt.detach(apt.key(a.chroot), a), apt.detach(apt.key(b.chroot), b)]);
    assert.equal(da.unbind.unmounted, false, da.unbind.reason);
    assert.equal(db.harvestedInto, 'staged', 'a is still mounted: b is not the last');
    assert.equal(existsSync(join(cache, 'fromb_1.0_amd64.deb')), false, "a's lower layer did not change");
    assert.equal(apt.size, 1, 'a stays attached, with its hold');
    assert.match(apt.busy() ?? '', /mounted into/);
    closeSync(busy);
    closed = true;
    const again = await apt.detach(apt.key(a.chroot), a);
    assert.equal(again.unbind.unmounted, true, again.unbind.reason);
    assert.deepEqual(
      again.published?.published.map((p) => p.name),
      ['fromb_1.0_amd64.deb'],
    );
    assert.equal(apt.busy(), null);
  } finally {
    if (!closed) closeSync(busy);
    for (const s of [a, b]) if (apt.get(s.chroot)) await apt.detach(apt.key(s.chroot), s).catch(() => undefined);
  }
});

test(
  'an overlay a teardown took away: its session and hold go, a mount given its id stays',
  { skip: needsRoot() },
  async (t) => {
    const { apt, cache, dir } = await setup('gone');
    const s = await attach(apt, cache, join(dir, 'torn'));
    const id = s.handle!.mountId;
    assert.equal(spawnSync('umount', [s.handle!.target]).status, 0, 'a teardown unmounts it');
    const other = join(dir, 'other');
    mkdirSync(other);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'isoswarm-test', other]).status, 0);
    writeFileSync(join(other, 'precious'), 'x');
    try {
      const reused = (await readMountinfo()).find((m) => m.mountPoint === other)?.id === id;
      t.diagnostic(`the tmpfs made after the unmount ${reused ? 'got' : 'did not get'} the overlay's mount id ${id}`);
      const d = await apt.detach(apt.key(s.chroot), s);
      assert.equal(d.unbind.unmounted, false);
      assert.match(d.unbind.reason, /already unmounted/);
      assert.ok(
        existsSync(join(other, 'precious')),
        `the other mount stays (it ${reused ? 'got' : 'did not get'} id ${id})`,
      );
      assert.equal(apt.size, 0, 'the session is gone');
      assert.equal(apt.busy(), null, 'and so is its hold');
      assert.equal(d.privateDirRemoved, true, d.privateDirError);
    } finally {
      spawnSync('umount', [other]);
    }
  },
);

test(
  'an overlay dir a dead tuner left unmounted: its downloads go into the cache, the dir goes',
  { skip: needsRoot() },
  async () => {
    const { cache, debs, dir } = await setup('orphan');
    const chroot = join(dir, 'left');
    mkdirSync(chroot);
    // A tuner (a process of its own) attaches, its build downloads, and it is killed.
    const tuner = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { AptSessions } = await import(${JSON.stringify(new URL('../../agents/performance-tuner/apt-sessions.js', import.meta.url).href)});
         const { createLogger } = await import(${JSON.stringify(new URL('../../src/log/logger.js', import.meta.url).href)});
         const { writeFileSync, readFileSync } = await import('node:fs');
         const apt = new AptSessions(${JSON.stringify(join(dir, 'state'))}, createLogger({ name: 't', destination: '/dev/null' }), 1 << 30);
         await apt.ready;
         const s = await apt.attach(${JSON.stringify(cache)}, ${JSON.stringify(chroot)}, 1 << 30, apt.overlayRoot + '/left');
         writeFileSync(s.handle.target + '/kept_3.0_amd64.deb', readFileSync(${JSON.stringify(makeDeb(debs, 'kept', '3.0', 10_000))}));
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(tuner.signal, 'SIGKILL', tuner.stderr);
    writeFileSync(join(cache, '.half_1.0_amd64.deb.part'), 'cut');
    // A teardown took the overlay away before a tuner was back.
    const target = join(archives(chroot));
    assert.equal(spawnSync('umount', [target]).status, 0);
    const s = { dirs: { privateDir: join(dir, 'state/cache/apt-overlay/left') } };
    assert.ok(existsSync(s.dirs.privateDir));
    const next = new AptSessions(join(dir, 'state'), quietLog(), 1 << 30);
    await next.swept;
    assert.equal(next.size, 0, 'nothing mounted to take back');
    assert.equal(existsSync(s.dirs.privateDir), false, 'the dir left behind is removed');
    assert.ok(existsSync(join(cache, 'kept_3.0_amd64.deb')), 'its complete download is in the cache');
    assert.equal(existsSync(join(cache, '.half_1.0_amd64.deb.part')), false, 'a cut copy is gone');
  },
);
