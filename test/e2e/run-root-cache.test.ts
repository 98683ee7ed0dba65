// Over 250 lines on purpose: the cases share one local mirror and one swarm, built once.
// The debootstrap shim under `isoswarm run`, with the real debootstrap bootstrapping from a real
// (local, file://) mirror: the first run misses and keeps the root, the second restores it (the
// same files, owners, modes, links and device node), a corrupted tarball fails its sha256 check and
// is replaced, a new Release of the mirror is a new key (`cache why` names the field), --no-root-cache
// runs the real tool, the caching-effectiveness record moves the limit (`cache ls`) and the eviction
// (`cache prune`), and with the swarm down the real tool runs unchanged with its exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { makeTinyMirror, writeRelease } from '../helpers/tiny-mirror.js';

const SHIMS = new URL('../../../shims', import.meta.url).pathname;

// $1 chroot, $2 mirror URL, $3 suite script, $4 listing file.
const BUILD = `#!/bin/bash
set -eu
debootstrap --no-check-gpg tiny "$1" "$2" "$3"
cd "$1"
{ find . -path ./var/cache/apt/archives -prune -o -printf '%p %m %U %G %n %y %s %l\\n' | LC_ALL=C sort; stat -c '%n %t:%T' dev/null; } > "$4"
`;

interface Lookup {
  key: string;
  outcome: string;
  reason: string;
  nearest: { differs: { field: string }[] } | null;
}

describe('run: the debootstrap shim and the root result cache', { skip: needsRoot() }, () => {
  const home = scratchHome('rootcache');
  const work = mkdtempSync('/tmp/isoswarm-test-rootcache-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  const m = makeTinyMirror(work);
  const chroot = join(work, 'chroot');
  writeFileSync(join(work, 'build.sh'), BUILD, { mode: 0o755 });
  // Bounds small enough for the tiny roots, so that the effectiveness record can move the limit.
  writeFileSync(
    join(work, 'config.json'),
    JSON.stringify({ caches: { bounds: { 'debootstrap-roots': { minBytes: 1000, maxBytes: 100_000_000 } } } }),
  );
  const env = testEnv(home, { ISOSWARM_CONFIG: join(work, 'config.json') });
  const objects = join(home, 'cache/debootstrap-roots/objects');
  const run = (n: number, extra: string[] = []) => {
    const r = cliSync(
      env,
      [
        'run',
        '--chroot',
        chroot,
        '--json',
        ...extra,
        '--',
        join(work, 'build.sh'),
        chroot,
        m.url,
        m.script,
        join(work, `listing-${n}`),
      ],
      undefined,
      300_000,
    );
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const rec = JSON.parse(r.stdout) as { rootCache?: Lookup[]; clean: { status: string } | null };
    assert.equal(rec.clean?.status, 'done', 'the chroot was cleaned after the run');
    assert.ok(!existsSync(chroot));
    return { rec, stderr: r.stderr, listing: readFileSync(join(work, `listing-${n}`), 'utf8') };
  };

  test('swarm up', () => {
    const r = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(r.code, 0, r.stderr);
  });

  let first = '';
  test('run 1: a miss; the real debootstrap runs and its root is kept, content-addressed', () => {
    const r = run(1, ['--apt-cache']);
    assert.ok(
      existsSync(join(home, 'cache/apt-archives/tinybase_1.0_amd64.deb')),
      "debootstrap's download (in the apt cache overlay) was harvested",
    );
    assert.equal(r.rec.rootCache?.length, 1, JSON.stringify(r.rec.rootCache));
    assert.equal(r.rec.rootCache[0]!.outcome, 'miss');
    assert.match(r.stderr, /root packed \((zstd|gzip)\) and kept under key/);
    first = r.listing;
    assert.match(first, /\.\/usr\/bin\/tiny 4755 0 0 2 f/, 'the real root has the setuid binary with its hard link');
    assert.match(first, /dev\/null 1:3/);
    const objs = readdirSync(objects);
    assert.equal(objs.length, 1);
    assert.match(objs[0]!, /^[0-9a-f]{64}\.tar\.(zst|gz)$/);
  });

  test('run 2: a hit; the verified root is restored, the same tree as the real one', () => {
    const r = run(2, ['--apt-cache']);
    const apt = (r.rec as { cache?: { hits: number } }).cache;
    assert.equal(apt?.hits, 0, "the restored root's packages are not counted as apt cache hits");
    assert.equal(r.rec.rootCache?.[0]?.outcome, 'hit', JSON.stringify(r.rec.rootCache));
    assert.match(r.stderr, /root restored from the cache \(sha256 [0-9a-f]{12}… verified\)/);
    assert.doesNotMatch(r.stderr, /Retrieving tinybase/, 'the real debootstrap did not run');
    assert.equal(r.listing, first, 'restored: same paths, modes, owners, link counts, types, sizes, device numbers');
    const md = cliSync(env, ['report', 'latest', '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /### debootstrap calls \(through the root cache\)/);
    assert.match(md.stdout, /1\. hit into .* restored in /);
    const eff = JSON.parse(
      cliSync(env, ['memory', 'get', 'optimization/caching-effectiveness/debootstrap-roots']).stdout,
    ) as {
      hits: number;
      misses: number;
      bytesSaved: number;
    };
    assert.deepEqual([eff.hits, eff.misses], [1, 1]);
    assert.ok(eff.bytesSaved > 0);
  });

  test('run 3: a tarball changed on disk fails its sha256 check: dropped, bootstrapped again, kept again', () => {
    const [obj] = readdirSync(objects);
    appendFileSync(join(objects, obj!), 'corrupt');
    const r = run(3);
    const l = r.rec.rootCache?.[0];
    assert.equal(l?.outcome, 'miss');
    assert.match(l.reason, /failed verification and was dropped/);
    assert.match(r.stderr, /Retrieving tinybase/, 'the real debootstrap ran');
    assert.equal(r.listing, first);
    const now = readdirSync(objects);
    assert.equal(now.length, 1, 'the corrupted tarball is gone, the new root is kept');
    assert.notEqual(now[0], obj, 'a new tarball (new mtimes: new sha256)');
  });

  test('run 4: the mirror has a new Release: a new key, and the miss names the field that differs', () => {
    writeRelease(m, new Date(Date.now() + 86_400_000));
    const r = run(4);
    const l = r.rec.rootCache?.[0];
    assert.equal(l?.outcome, 'miss');
    assert.deepEqual(
      l.nearest?.differs.map((d) => d.field),
      ['release'],
    );
    assert.match(l.reason, /differs in release/);
  });

  test('run 5: --no-root-cache runs the real debootstrap and looks nothing up', () => {
    const r = run(5, ['--no-root-cache']);
    assert.equal(r.rec.rootCache, undefined);
    assert.match(r.stderr, /Retrieving tinybase/);
    assert.equal(r.listing, first);
  });

  let run4Key = '';
  test('cache why: by key prefix and by target, the differing field; cache ls: entries, hits, limit', () => {
    const l = JSON.parse(cliSync(env, ['cache', 'why', chroot, '--json']).stdout) as {
      found: string;
      lookups: Lookup[];
      explanation: string[];
    };
    assert.equal(l.found, 'target');
    assert.deepEqual(
      l.lookups.map((x) => x.outcome),
      ['miss', 'miss'],
      'the last lookup of each key that bootstrapped this target, newest first',
    );
    assert.match(l.lookups[1]!.reason, /failed verification/);
    run4Key = l.lookups[0]!.key;
    const why = cliSync(env, ['cache', 'why', run4Key.slice(0, 10)]);
    assert.equal(why.code, 0, why.stderr);
    assert.match(why.stdout, /miss \(key [0-9a-f]+\)/);
    assert.match(why.stdout, /release: stored [0-9a-f]{12}…, asked [0-9a-f]{12}…/);
    const none = cliSync(env, ['cache', 'why', join(work, 'never-bootstrapped')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no cache key, cache file or debootstrap target/);
    const ls = JSON.parse(cliSync(env, ['cache', 'ls', '--json']).stdout) as {
      caches: { cache: string; entries: number; record: { hits: number } | null; limit: { limitBytes: number } }[];
    };
    const roots = ls.caches.find((c) => c.cache === 'debootstrap-roots')!;
    assert.equal(roots.entries, 2);
    assert.equal(roots.record?.hits, 1);
    assert.ok(roots.limit.limitBytes > 0);
    assert.equal(cliSync(env, ['cache', 'prune', 'nosuchcache']).code, 2);
    assert.equal(cliSync(env, ['cache', 'prune', '--to', 'lots']).code, 2);
  });

  test('caching-effectiveness drives the limit: a low hit rate shrinks it and evicts, a high one grows it', () => {
    type Ls = {
      caches: { cache: string; sizeBytes: number; limit: { limitBytes: number; change: string; reason: string } }[];
    };
    const roots = () =>
      (JSON.parse(cliSync(env, ['cache', 'ls', '--json']).stdout) as Ls).caches.find(
        (c) => c.cache === 'debootstrap-roots',
      )!;
    const size = roots().sizeBytes;
    const rec = (hits: number, misses: number, limitBytes: number) =>
      JSON.stringify({
        cache: 'debootstrap-roots',
        builds: hits + misses,
        hits,
        misses,
        hitRate: hits / (hits + misses),
        bytesSaved: hits * 30_000,
        limitBytes,
        lastBuild: { hits: hits ? 1 : 0, misses: hits ? 0 : 1 },
        updatedAt: new Date().toISOString(),
      });
    const set = (v: string) =>
      assert.equal(cliSync(env, ['memory', 'set', 'optimization/caching-effectiveness/debootstrap-roots', v]).code, 0);
    set(rec(0, 6, size));
    const low = roots();
    assert.equal(low.limit.change, 'shrink', low.limit.reason);
    assert.equal(low.limit.limitBytes, Math.round(size * 0.75));
    assert.match(low.limit.reason, /hit rate 0 % over 6 uses: below 20 %/);
    const plan = JSON.parse(cliSync(env, ['cache', 'prune', 'debootstrap-roots', '--dry-run', '--json']).stdout) as {
      plans: { evict: { name: string }[] }[];
      removed: unknown[];
    };
    assert.equal(plan.plans[0]!.evict.length, 1, 'the plan evicts the least recently used root');
    assert.deepEqual(plan.removed, []);
    assert.equal(readdirSync(objects).length, 2, '--dry-run removed nothing');
    const done = cliSync(env, ['cache', 'prune', 'debootstrap-roots', '--json']);
    assert.equal(done.code, 0, done.stderr);
    const pr = JSON.parse(done.stdout) as { removed: { names: string[] }[]; journal: string };
    assert.deepEqual(pr.removed[0]!.names, [plan.plans[0]!.evict[0]!.name]);
    assert.ok(existsSync(pr.journal), 'the prune was journalled');
    assert.equal(readdirSync(objects).length, 1);
    assert.equal(
      JSON.parse(cliSync(env, ['cache', 'why', run4Key, '--json']).stdout).entry?.key,
      run4Key,
      'the newer root stays',
    );
    const kept = roots().sizeBytes;
    set(rec(6, 0, kept));
    const high = roots();
    assert.equal(high.limit.change, 'grow', high.limit.reason);
    assert.equal(high.limit.limitBytes, Math.round(kept * 1.5));
    const none = JSON.parse(cliSync(env, ['cache', 'prune', 'debootstrap-roots', '--dry-run', '--json']).stdout) as {
      plans: { evict: unknown[] }[];
    };
    assert.deepEqual(none.plans[0]!.evict, [], 'nothing to evict under the grown limit');
  });

  test('the swarm down: the shim runs the real debootstrap unchanged, its exit code passed through', () => {
    cliSync(env, ['down'], undefined, 30_000);
    const target = join(work, 'direct');
    const shimEnv = { ...env, PATH: `${SHIMS}:${process.env.PATH}`, ISOSWARM_SHIM_CONNECT_MS: '500' };
    const ok = spawnSync(join(SHIMS, 'debootstrap'), ['--no-check-gpg', 'tiny', target, m.url, m.script], {
      env: shimEnv,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /not reachable within 500 ms; running debootstrap unchanged/);
    assert.ok(existsSync(join(target, 'usr/bin/tiny')));
    const bad = spawnSync(
      join(SHIMS, 'debootstrap'),
      ['--no-check-gpg', 'nosuchsuite', join(work, 'x'), m.url, m.script],
      {
        env: shimEnv,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const real = spawnSync('debootstrap', ['--no-check-gpg', 'nosuchsuite', join(work, 'y'), m.url, m.script], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.notEqual(real.status, 0);
    assert.equal(bad.status, real.status, 'the real exit code');
  });
});
