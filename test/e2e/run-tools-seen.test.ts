// A debootstrap or mmdebstrap build is recognised by the shims seeing the tool, not only from the
// command line: here the command is `sh -c ./inner.sh` (nothing to read in it) and inner.sh calls the
// tool. The "real" tools found on PATH after the shim dir are small stand-ins that make a root (the
// real debootstrap runs in real-build.test.ts); the shims are the product's own.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const STAND_IN = (tool: string) => `#!/bin/sh
# stand-in for ${tool}: SUITE TARGET
mkdir -p "$2/etc" && echo "$1" > "$2/etc/debian_version" && echo "${tool} made $2"
`;

interface Rec {
  exitCode: number;
  builder?: { name: string; why: string };
  notes: string[];
  stages?: { name: string }[];
}

describe('run: the builder recognised by the shim seeing the call', { skip: needsRoot() }, () => {
  const home = scratchHome('tools-seen');
  const work = mkdtempSync('/tmp/isoswarm-test-tools-seen-');
  const bin = join(work, 'bin');
  const env = testEnv(home, { PATH: `${bin}:${process.env.PATH}` });
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  mkdirSync(bin);
  for (const t of ['debootstrap', 'mmdebstrap']) writeFileSync(join(bin, t), STAND_IN(t), { mode: 0o755 });

  test('swarm up', () => {
    assert.equal(cliSync(env, ['up'], undefined, 60_000).code, 0);
  });

  for (const tool of ['mmdebstrap', 'debootstrap'] as const) {
    test(`${tool} called from a wrapped script`, () => {
      const root = join(work, `root-${tool}`);
      writeFileSync(join(work, 'inner.sh'), `#!/bin/sh\nset -e\n${tool} bookworm "$1"\n${tool} bookworm "$1"\n`, {
        mode: 0o755,
      });
      const r = spawnSync(
        process.execPath,
        [CLI, 'run', '--no-root-cache', '--chroot', root, '--json', '--', 'sh', '-c', `./inner.sh ${root}`],
        { cwd: work, env, encoding: 'utf8', timeout: 300_000 },
      );
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const rec = JSON.parse(r.stdout) as Rec;
      assert.match(r.stdout + r.stderr, new RegExp(`${tool} made`), 'the real tool ran');
      assert.equal(rec.builder?.name, tool, JSON.stringify(rec.builder));
      assert.equal(rec.builder?.why, `the ${tool} shim saw the build call it (2 calls)`);
      assert.ok(rec.notes.some((n) => n.startsWith(`builder: ${tool} (recognised by the ${tool} shim`)));
      assert.equal(existsSync(root), false, 'the chroot was cleaned as usual');
    });
  }

  test('a plain command that calls neither stays a plain script', () => {
    const root = join(work, 'root-plain');
    const r = spawnSync(
      process.execPath,
      [CLI, 'run', '--chroot', root, '--json', '--', 'sh', '-c', `mkdir -p ${root}/etc`],
      { cwd: work, env, encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    assert.equal((JSON.parse(r.stdout) as Rec).builder, undefined);
  });
});
