// Two builds with the apt cache attached at once: the host cache is the lower layer of both overlays,
// so the first build's downloads wait in a staging dir while the second still has it mounted, and go
// into the cache with the last detach. Atime reads are not counted as either build's hits then.
// Real overlays, real .debs, the tuner's own session code.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import { pendingDirFor } from '../../agents/performance-tuner/apt-pending.js';
import { adoptMountedSessions } from '../../agents/performance-tuner/apt-session-file.js';
import { detachAptCache, type AptSession } from '../../agents/performance-tuner/caches.js';
import { createLogger } from '../../src/log/logger.js';
import { makeDeb } from '../helpers/debs.js';
import { needsRoot } from '../helpers/root.js';

const scratch = mkdtempSync('/tmp/isoswarm-test-apt-staging-');
after(() => {
  // Never remove across a mount: a mount left behind fails loudly instead.
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(scratch))
    throw new Error(`a mount under ${scratch} was left`);
  rmSync(scratch, { recursive: true, force: true });
});

/** An attach that succeeded (anything else fails the test). */
async function attached(p: Promise<AptSession | 'locked' | 'attached' | 'late'>): Promise<AptSession> {
  const s = await p;
  assert.ok(typeof s === 'object', `attached: ${String(s)}`);
  return s;
}

/** Name -> inode:size:mtime of every file: what any write to the lower layer would change. */
function layer(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((n) => {
      const st = lstatSync(join(dir, n));
      return `${n}:${st.ino}:${st.size}:${st.mtimeMs}`;
    })
    .join('\n');
}

test('a download waits while another build has the cache as its lower layer', { skip: needsRoot() }, async () => {
  const state = join(scratch, 'state');
  const cache = join(scratch, 'cache');
  const debs = join(scratch, 'debs');
  for (const d of [state, cache, debs]) mkdirSync(d);
  writeFileSync(join(cache, 'old_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'old', '1.0', 20_000)));
  const log = createLogger({ name: 'test', destination: '/dev/null' });
  const apt = new AptSessions(state, log, 1 << 30);
  await apt.ready;
  const c1 = join(scratch, 'one');
  const c2 = join(scratch, 'two');
  mkdirSync(c1);
  mkdirSync(c2);
  const s1 = await attached(apt.attach(cache, c1, 1 << 30, join(apt.overlayRoot, 'one')));
  let s2: AptSession | null = null;
  try {
    // The first build reads the old package; the second attach changes no access time in the cache.
    readFileSync(join(c1, 'var/cache/apt/archives/old_1.0_amd64.deb'));
    const read = lstatSync(join(cache, 'old_1.0_amd64.deb'));
    s2 = await attached(apt.attach(cache, c2, 1 << 30, join(apt.overlayRoot, 'two')));
    assert.equal(
      lstatSync(join(cache, 'old_1.0_amd64.deb')).atimeMs,
      read.atimeMs,
      'the second attach did not touch the access times',
    );
    // The first build downloads a package (into its upper layer) and reads the old one.
    const archives1 = join(c1, 'var/cache/apt/archives');
    writeFileSync(join(archives1, 'new_2.0_amd64.deb'), readFileSync(makeDeb(debs, 'new', '2.0', 30_000)));
    const lowerBefore = layer(cache);
    const first = await apt.detach(apt.key(c1), s1);
    assert.equal(first.unbind.unmounted, true, first.unbind.reason);
    assert.equal(first.harvestedInto, 'staged');
    assert.deepEqual(
      first.harvest.harvested.map((h) => h.name),
      ['new_2.0_amd64.deb'],
    );
    assert.equal(layer(cache), lowerBefore, 'the lower layer of the mounted overlay did not change');
    const pending = pendingDirFor(state, cache);
    assert.deepEqual(readdirSync(pending), ['new_2.0_amd64.deb'], 'staged');
    assert.equal(first.stats.tracking, 'unavailable', 'no dpkg status, and atime reads may be the other build');
    assert.equal(first.stats.hits, 0, JSON.stringify(first.stats));
    assert.equal(first.stats.misses, 1, 'its staged download is counted as its own');
    assert.ok(first.stats.bytesDownloaded > 30_000, JSON.stringify(first.stats));
    assert.equal(existsSync(join(c2, 'var/cache/apt/archives/new_2.0_amd64.deb')), false, 'not in the other build');

    const last = await apt.detach(apt.key(c2), s2);
    s2 = null;
    assert.equal(last.harvestedInto, 'cache');
    assert.deepEqual(
      last.published?.published.map((p) => p.name),
      ['new_2.0_amd64.deb'],
    );
    assert.deepEqual(readdirSync(pending), [], 'nothing left staged');
    assert.deepEqual(
      readdirSync(cache).sort(),
      ['new_2.0_amd64.deb', 'old_1.0_amd64.deb'],
      'in the cache once no build has it attached',
    );
    assert.equal(last.stats.misses, 0, "the first build's download is not counted as the last one's");
    assert.equal(apt.size, 0);
  } finally {
    if (s2) await apt.detach(apt.key(c2), s2).catch(() => undefined);
    if (apt.get(c1)) await apt.detach(apt.key(c1), s1).catch(() => undefined);
  }
});

test(
  'a session taken back from its mount: its file read back, a truncated one refused',
  { skip: needsRoot() },
  async () => {
    const state = join(scratch, 'state2');
    const cache = join(scratch, 'cache2');
    const debs = join(scratch, 'debs2');
    for (const d of [state, cache, debs]) mkdirSync(d);
    writeFileSync(join(cache, 'kept_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'kept', '1.0', 10_000)));
    const log = createLogger({ name: 'test', destination: '/dev/null' });
    const apt = new AptSessions(state, log, 1 << 30);
    await apt.ready;
    const chroots = [join(scratch, 'whole'), join(scratch, 'cut')];
    const pending = pendingDirFor(state, cache);
    const sessions: AptSession[] = [];
    try {
      for (const c of chroots) {
        mkdirSync(c);
        const priv = join(apt.overlayRoot, c.endsWith('cut') ? 'cut' : 'whole');
        sessions.push(await attached(apt.attach(cache, c, 1 << 30, priv)));
      }
      const cutFile = join(apt.overlayRoot, 'cut', 'session.json');
      writeFileSync(cutFile, readFileSync(cutFile, 'utf8').slice(0, 40));
      writeFileSync(
        join(chroots[1]!, 'var/cache/apt/archives/got_2.0_amd64.deb'),
        readFileSync(makeDeb(debs, 'got', '2.0', 10_000)),
      );
      const taken = await adoptMountedSessions(apt.overlayRoot, 123);
      const byChroot = new Map(taken.map((a) => [a.session.chroot, a]));
      const whole = byChroot.get(chroots[0]!);
      const cut = byChroot.get(chroots[1]!);
      assert.ok(whole && cut, `both overlays found: ${[...byChroot.keys()].join(', ')}`);
      assert.equal(whole.fileProblem, undefined);
      assert.deepEqual(whole.session.snapshot, sessions[0]!.snapshot, 'the snapshot read back');
      assert.equal(whole.session.handle?.mountId, sessions[0]!.handle?.mountId, 'the same mount');
      assert.match(cut.fileProblem ?? '', /not JSON/);
      assert.equal(cut.session.countable, false);
      assert.equal(cut.session.limitBytes, 123, 'the fallback limit');
      for (const a of taken) a.session.capture?.stop();
      // Detached through the session taken back: it unmounts, and counts only what it harvested.
      const d = await detachAptCache(cut.session, { last: false, pendingDir: pending });
      assert.equal(d.unbind.unmounted, true, d.unbind.reason);
      assert.equal(d.stats.tracking, 'unavailable');
      assert.equal(d.stats.misses, 1, JSON.stringify(d.stats));
      assert.equal(d.stats.hits, 0);
      sessions[1]!.handle = null;
    } finally {
      for (const s of sessions) if (s.handle) await apt.detach(apt.key(s.chroot), s).catch(() => undefined);
    }
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(scratch), 'nothing left mounted');
  },
);
