// Caches counted, not duplicated: `isoswarm run --apt-cache -- lb build` adds its apt archive layer
// to live-build's chroot only while live-build's own package cache has not been shown effective.
// The same command, same flags, three times in one project (the `lb` is the bash stand-in of
// run-live-build.test.ts): run 1 without --apt-cache records live-build's cache as all misses; run
// 2 with --apt-cache reads that record and adds the layer; its build hits live-build's cache, which
// the record now says (2 of 4); run 3 with --apt-cache reads it and leaves the layer out, saying so.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { FAKE_LB } from '../helpers/fake-live-build.js';

interface Rec {
  exitCode: number;
  notes: string[];
  cache?: unknown;
  builderCaches?: { cache: string; hits: number; misses: number }[];
  teardown: { status: string } | null;
}

const mountsUnder = (d: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === d || p.startsWith(`${d}/`));

describe('run --apt-cache on live-build: the layer follows live-build’s cache record', { skip: needsRoot() }, () => {
  const home = scratchHome('lb-apt-layer');
  const work = mkdtempSync('/tmp/isoswarm-test-lb-apt-layer-');
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
  writeFileSync(join(bin, 'lb'), FAKE_LB, { mode: 0o755 });
  const run = (flags: string[]): Rec => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--no-tune', ...flags, '--json', '--', 'lb', 'build'], {
      cwd: proj,
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    return JSON.parse(r.stdout) as Rec;
  };
  const layerNote = /apt cache layer not added: live-build's own package cache served (\d+) of (\d+) \.debs/;

  test('swarm up', () => {
    assert.equal(cliSync(env, ['up'], undefined, 60_000).code, 0);
  });

  test('run 1 (no --apt-cache): live-build’s package cache is recorded as misses', () => {
    const rec = run([]);
    const pk = rec.builderCaches?.find((c) => c.cache === 'live-build-packages-chroot');
    assert.deepEqual([pk?.hits, pk?.misses], [0, 2]);
  });

  test('run 2 (--apt-cache): the record shows no hits, so the layer is added', () => {
    const rec = run(['--apt-cache']);
    assert.ok(
      rec.notes.some((n) => /apt archive cache .* mounted into the chroot/.test(n)),
      rec.notes.join('\n'),
    );
    assert.ok(!rec.notes.some((n) => layerNote.test(n)));
    assert.ok(rec.cache, 'the apt layer was detached and counted');
    const pk = rec.builderCaches?.find((c) => c.cache === 'live-build-packages-chroot');
    assert.deepEqual([pk?.hits, pk?.misses], [2, 0], 'live-build served its .debs itself');
    assert.deepEqual(mountsUnder(join(proj, 'chroot')), []);
  });

  test('run 3 (--apt-cache): the record shows live-build’s cache effective, so the layer is left out', () => {
    const g = cliSync(env, ['memory', 'get', 'optimization/caching-effectiveness/live-build-packages-chroot']);
    const stored = JSON.parse(g.stdout) as { hits: number; misses: number };
    assert.deepEqual([stored.hits, stored.misses], [2, 2]);
    const rec = run(['--apt-cache']);
    const note = rec.notes.find((n) => layerNote.test(n));
    assert.ok(note, rec.notes.join('\n'));
    assert.deepEqual(layerNote.exec(note)!.slice(1), ['2', '4'], 'the numbers are the stored record’s');
    assert.ok(!rec.notes.some((n) => /apt archive cache .* mounted/.test(n)));
    assert.equal(rec.cache, undefined, 'no apt layer to detach');
    assert.equal(rec.teardown?.status, 'done');
    assert.deepEqual(mountsUnder(join(proj, 'chroot')), []);
  });
});
