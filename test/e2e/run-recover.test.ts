// Recover on start: a run whose teardown was refused (a mount kept busy by a process outside the
// chroot, which is reported, never signalled) leaves a mount under its chroot. `isoswarm up` and the
// next `isoswarm run` report it; a run on the same chroot refuses; `run --recover` tears it down first.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const BUILD = `#!/bin/bash
set -eu
C="$1"; TAG="$2"
mkdir -p "$C/tmp"
mount -t tmpfs tmpfs "$C/tmp"
# a process OUTSIDE the chroot whose working directory is inside: reported, never signalled
(cd "$C/tmp" && setsid sleep "$TAG.9" </dev/null >/dev/null 2>&1 &)
sleep 0.2
`;

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

function tagged(tag: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(tag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('leftovers of interrupted runs are reported and recovered', { skip: needsRoot() }, () => {
  const home = scratchHome('recover');
  const work = mkdtempSync('/tmp/isoswarm-test-recover-work-');
  const chroot = `${work}/chroot`;
  const tag = String(1000 + Math.floor(Math.random() * 8000));
  const env = testEnv(home);
  writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
  after(() => {
    for (const pid of tagged(`${tag}.`)) process.kill(pid, 'SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  test('reported by up and run, refused without --recover, torn down with it', () => {
    const first = cliSync(
      env,
      ['run', '--no-tune', '--json', '--chroot', chroot, '--', `${work}/build.sh`, chroot, tag],
      undefined,
      120_000,
    );
    const rec = JSON.parse(first.stdout) as { teardown: { status: string } | null };
    assert.notEqual(rec.teardown?.status, 'done', 'the busy mount was expected to stop the teardown');
    assert.equal(mountsUnder(chroot).length, 1);
    // The holder outside was only reported; now it ends, the mount stays behind.
    for (const pid of tagged(`${tag}.9`)) process.kill(pid, 'SIGKILL');

    const up = cliSync(env, ['up', '--json'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
    const left = (JSON.parse(up.stdout) as { leftovers: { chroot: string; mounts: string[] }[] }).leftovers;
    assert.deepEqual(
      left.map((l) => [l.chroot, l.mounts]),
      [[chroot, [`${chroot}/tmp`]]],
    );

    const refused = cliSync(env, ['run', '--no-tune', '--chroot', chroot, '--', 'true'], undefined, 60_000);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /leftovers of run .* under .*1 mount/);
    assert.match(refused.stderr, /--recover/);

    const other = cliSync(env, ['run', '--no-tune', '--', 'true'], undefined, 60_000);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, /leftovers of run/);

    const rec2 = cliSync(
      env,
      ['run', '--no-tune', '--json', '--recover', '--chroot', chroot, '--', 'true'],
      undefined,
      120_000,
    );
    assert.equal(rec2.code, 0, rec2.stderr);
    const r2 = JSON.parse(rec2.stdout) as {
      recovered: { target: string; status: string; unmounted: string[] }[];
      phases: { name: string }[];
    };
    assert.equal(r2.phases[0]?.name, 'recover');
    assert.deepEqual(
      r2.recovered.map((x) => [x.target, x.status, x.unmounted]),
      [[chroot, 'done', [`${chroot}/tmp`]]],
    );
    assert.deepEqual(mountsUnder(chroot), []);
  });
});
