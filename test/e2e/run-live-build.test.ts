// `isoswarm run -- lb build` in a live-build project, without --chroot. The `lb` found on PATH here
// is a small bash script that behaves like live-build where isoswarm looks: it prints live-build's
// stage lines (`[date] lb STAGE`), bootstraps into ./chroot (mounting proc inside), fills
// cache/bootstrap and cache/packages.chroot and records what it "installed" in the chroot's dpkg
// status. The real `lb build` runs in the opt-in slow test (live-build-slow.test.ts).
// Checked: ./chroot is adopted, unmounted and kept (said in the notes); the stages come from the
// stage lines; live-build's caches are counted (run 1 misses, run 2 hits) into the record, the
// memory and the report.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { FAKE_LB as LB } from '../helpers/fake-live-build.js';

interface Rec {
  runId: string;
  chroot: string | null;
  kept?: { path: string; reason: string; teardown: string };
  clean: unknown;
  teardown: { status: string; unmounted: string[] } | null;
  builder?: { name: string };
  stages?: { name: string; source: string; durationMs: number }[];
  builderCaches?: { cache: string; hits: number; misses: number }[];
  squashfsCalls?: {
    asked: string[];
    ran: string[];
    tuned: { label: string; mksquashfsOpts: string; reason: string } | null;
    baseline?: string | null;
    measured: { exitCode: number; imageBytes: number | null; wallMs: number } | null;
  }[];
  notes: string[];
  patternsUpdated: string[];
}

describe('run: a live-build project without --chroot', { skip: needsRoot() }, () => {
  const home = scratchHome('live-build');
  const work = mkdtempSync('/tmp/isoswarm-test-live-build-');
  const bin = join(work, 'bin');
  const proj = join(work, 'project');
  const env = testEnv(home, { PATH: `${bin}:${process.env.PATH}` });
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  mkdirSync(bin);
  mkdirSync(join(proj, 'config'), { recursive: true });
  writeFileSync(join(proj, 'config', 'chroot'), 'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE=""\n');
  writeFileSync(join(bin, 'lb'), LB, { mode: 0o755 });
  const recs: Rec[] = [];

  test('swarm up', () => {
    assert.equal(cliSync(env, ['up'], undefined, 60_000).code, 0);
  });

  for (const round of [1, 2]) {
    test(`run ${round}: chroot/ kept unmounted, stages from the stage lines, caches counted`, () => {
      const r = spawnSync(process.execPath, [CLI, 'run', '--json', '--', 'lb', 'build'], {
        cwd: proj,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const rec = JSON.parse(r.stdout) as Rec;
      recs.push(rec);
      const chroot = join(proj, 'chroot');
      assert.equal(rec.builder?.name, 'live-build');
      assert.equal(rec.chroot, chroot, 'live-build’s chroot was adopted');
      assert.equal(rec.teardown?.status, 'done');
      assert.ok(rec.teardown.unmounted.includes(join(chroot, 'proc')), rec.teardown.unmounted.join(', '));
      assert.equal(rec.clean, null);
      assert.equal(rec.kept?.teardown, 'done');
      assert.match(rec.kept.reason, /live-build ran without --chroot/);
      assert.ok(rec.notes.some((n) => /chroot\/ is kept for incremental rebuilds/.test(n)));
      assert.ok(existsSync(join(chroot, 'etc/debian_version')), 'the chroot is still there');
      const names = (rec.stages ?? []).map((s) => s.name);
      const expected =
        round === 1
          ? ['bootstrap_cache restore', 'bootstrap_debootstrap', 'bootstrap_cache save']
          : ['bootstrap_cache restore', 'bootstrap_cache save'];
      assert.deepEqual(names, [
        ...expected,
        'chroot_install-packages install',
        'binary_chroot',
        'isoswarm_squashfs-tune',
        'binary_rootfs',
      ]);
      assert.ok(rec.stages!.every((s) => s.source === 'live-build'));
      // The squashfs stage went through the shim: asked nothing (live-build's default), fill added
      // what was absent; live-build's own -comp xz stayed.
      const call = rec.squashfsCalls?.[0];
      assert.equal(rec.squashfsCalls?.length, 1, 'one squashfs stage call');
      assert.equal(call?.asked.length, 2, call?.asked.join(' '));
      assert.equal(call?.asked[0], join(chroot, 'chroot'), 'tuned on the real tree');
      // The shim named live-build's own default (-comp xz, 128 KiB blocks) as the baseline: measured.
      assert.match(call?.baseline ?? '', /^xz\/p\d+$/, JSON.stringify(call));
      assert.ok(call?.measured && call.measured.exitCode === 0 && call.measured.imageBytes! > 0);
      assert.match(
        spawnSync('unsquashfs', ['-s', join(proj, 'binary/live/filesystem.squashfs')], { encoding: 'utf8' }).stdout,
        /Compression xz/,
      );
      const pk = rec.builderCaches?.find((c) => c.cache === 'live-build-packages-chroot');
      const bs = rec.builderCaches?.find((c) => c.cache === 'live-build-bootstrap');
      assert.deepEqual([pk?.hits, pk?.misses], round === 1 ? [0, 2] : [2, 0], JSON.stringify(rec.builderCaches));
      assert.deepEqual([bs?.hits, bs?.misses], round === 1 ? [0, 1] : [1, 0]);
      assert.ok(rec.patternsUpdated.includes('optimization/caching-effectiveness/live-build-packages-chroot'));
      const md = cliSync(env, ['report', rec.runId, '--format', 'md']);
      assert.match(md.stdout, /### live-build caches/);
      assert.match(md.stdout, /\| live-build-packages-chroot \| \d \| \d \|/);
      assert.match(md.stdout, /\| chroot\\_install-packages install \| \+/);
    });
  }

  test('--squashfs override: the tuned compressor reaches live-build through LB_CONFIG, config/ untouched', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--squashfs', 'override', '--json', '--', 'lb', 'build'], {
      cwd: proj,
      env: { ...env, ISOSWARM_TUNE_MODE: 'aggressive' },
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const rec = JSON.parse(r.stdout) as Rec;
    const call = rec.squashfsCalls?.[0];
    assert.ok(call?.tuned, 'the tuner answered');
    // Aggressive's size bound is anchored to live-build's default, not to xz -b 1M.
    assert.match(call.tuned.reason, /\+25 % of the build's baseline xz\/p\d+ /, call.tuned.reason);
    const comp = /-comp (\S+)/.exec(call.tuned.mksquashfsOpts)?.[1];
    assert.ok(comp, call.tuned.mksquashfsOpts);
    assert.match(r.stderr, new RegExp(`live-build squashfs .*-comp ${comp}`));
    const s = spawnSync('unsquashfs', ['-s', join(proj, 'binary/live/filesystem.squashfs')], { encoding: 'utf8' });
    assert.match(s.stdout, new RegExp(`Compression ${comp}`), 'the image has the tuned compressor');
    const block = /-b (\S+)/.exec(call.tuned.mksquashfsOpts)?.[1];
    if (block === '1M') assert.match(s.stdout, /Block size 1048576/);
    assert.equal(call.measured?.exitCode, 0);
  });

  test('the memory counts both runs of each live-build cache', () => {
    const g = cliSync(env, ['memory', 'get', 'optimization/caching-effectiveness/live-build-packages-chroot']);
    assert.equal(g.code, 0, g.stderr);
    const v = JSON.parse(g.stdout) as { builds: number; hits: number; misses: number };
    assert.deepEqual([v.builds, v.hits, v.misses], [3, 4, 2]);
    assert.equal(readFileSync(join(proj, 'config', 'chroot'), 'utf8'), 'LB_CHROOT_SQUASHFS_COMPRESSION_TYPE=""\n');
  });
});
