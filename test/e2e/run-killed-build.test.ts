// The main job's promise: a build that mounts proc, sysfs and /dev into its chroot, leaves a daemon
// running inside and is then kill -9'ed — `isoswarm run` still takes it all apart, host intact.
// A bind of a host folder (a package repo) was under the chroot before the run: the record's
// checkpoint names it, the notes and both reports mark its unmount as not the build's, its files stay.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { onInterrupt, unmountAndRemoveSync } from '../helpers/interrupt-cleanup.js';

const BUILD = `#!/bin/bash
set -eu
C="$1"
mkdir -p "$C"/{proc,sys,dev,usr,etc,tmp}
ln -sfn usr/bin "$C/bin"; ln -sfn usr/lib "$C/lib"; ln -sfn usr/lib64 "$C/lib64"
mount -t proc proc "$C/proc"
mount -t sysfs sysfs "$C/sys"
mount --bind /dev "$C/dev"
mount --make-rslave "$C/dev"
mount --bind /usr "$C/usr"
mount -o remount,bind,ro "$C/usr"
echo "chroot file" > "$C/etc/marker"
# a daemon left running inside the chroot
setsid chroot "$C" /usr/bin/sleep 1000 </dev/null >/dev/null 2>&1 &
sleep 0.3
echo "build: crashing hard"
kill -9 $$
`;

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

describe('isoswarm run around a build that is kill -9ed', { skip: needsRoot() }, () => {
  const home = scratchHome('run-kill');
  const work = mkdtempSync('/tmp/isoswarm-test-run-work-');
  const chroot = `${work}/chroot`;
  const repo = `${work}/repo`;
  const repoMount = `${chroot}/srv/repo`;
  onInterrupt(`scratch ${work}`, () => unmountAndRemoveSync(work));
  // An unrelated process with the same name outside the chroot must survive.
  const outsider = spawn('sleep', ['1000'], { stdio: 'ignore' });
  after(() => {
    outsider.kill('SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  test('exit 137, nothing mounted under the chroot, daemon gone, host intact, report lists the teardown', () => {
    writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
    const devNull = statSync('/dev/null').rdev;
    mkdirSync(repo);
    mkdirSync(repoMount, { recursive: true });
    writeFileSync(`${repo}/Packages`, 'Package: canary\n');
    const bind = spawnSync('mount', ['--bind', repo, repoMount], { encoding: 'utf8' });
    assert.equal(bind.status, 0, bind.stderr);
    try {
      runAndCheck(devNull);
    } finally {
      if (mountsUnder(chroot).includes(repoMount)) spawnSync('umount', ['--no-canonicalize', '--', repoMount]);
    }
  });

  function runAndCheck(devNull: number): void {
    const r = cliSync(
      testEnv(home),
      ['run', '--chroot', chroot, '--name', 'killed-build', '--json', '--', `${work}/build.sh`, chroot],
      undefined,
      120_000,
    );
    assert.equal(r.code, 137, r.stderr);
    const rec = JSON.parse(r.stdout) as {
      exitCode: number;
      signal: string | null;
      runId: string;
      report: string;
      checkpoint: { mountsUnderChroot: string[]; mountsUnderChrootInfo: { mountPoint: string; root: string }[] };
      notes: string[];
      teardown: { status: string; signalled: { cmdline: string; outcome: string }[]; unmounted: string[] } | null;
      phases: { name: string; status: string }[];
    };
    assert.equal(rec.exitCode, 137);
    assert.equal(mountsUnder(chroot).length, 0, `still mounted: ${mountsUnder(chroot).join(', ')}`);
    assert.equal(statSync('/dev/null').rdev, devNull);
    assert.ok(statSync('/dev/null').isCharacterDevice());
    assert.equal(outsider.exitCode, null, 'the outside sleep was touched');
    assert.ok(rec.teardown, 'no teardown in the record');
    assert.equal(rec.teardown.status, 'done');
    assert.ok(
      rec.teardown.signalled.some((s) => /sleep 1000/.test(s.cmdline)),
      'the daemon was not signalled',
    );
    assert.ok(rec.teardown.unmounted.length >= 4, `unmounted: ${rec.teardown.unmounted.join(', ')}`);
    assert.deepEqual(
      rec.phases.map((p) => p.name),
      ['pre-task', 'tune', 'build', 'post-task'],
    );
    assert.ok(existsSync(rec.report), 'no HTML report');
    const html = readFileSync(rec.report, 'utf8');
    assert.match(html, /killed-build/);

    // The bind from before the run: recorded, unmounted like the build's own but named as not its, files intact.
    assert.deepEqual(rec.checkpoint.mountsUnderChroot, [repoMount]);
    assert.ok(rec.checkpoint.mountsUnderChrootInfo[0]?.root.endsWith(`${basename(work)}/repo`));
    assert.ok(rec.teardown.unmounted.includes(repoMount));
    assert.equal(readFileSync(`${repo}/Packages`, 'utf8'), 'Package: canary\n', 'the repo behind the bind is intact');
    const note = rec.notes.find((n) => n.startsWith('the teardown unmounted 1 mount from before the run'));
    assert.ok(note?.includes(repoMount), rec.notes.join('\n'));
    assert.ok(
      rec.notes.includes(`${rec.teardown.unmounted.length - 1} mounts the build made were unmounted by the teardown`),
    );
    const li = html.match(new RegExp(`<li><code>${repoMount}</code>[^]*?</li>`))?.[0] ?? '';
    assert.match(li, /there before the run/);
    assert.equal((html.match(/there before the run<\/span><\/li>/g) ?? []).length, 1, 'only the bind is marked');
    assert.match(html, /<h3>Mounted before the run \(1\)<\/h3>/);
    const md = cliSync(testEnv(home), ['report', rec.runId, '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, new RegExp(`^\\d+\\. \`${repoMount}\`.*\\*\\*\\(there before the run\\)\\*\\*$`, 'm'));
    assert.match(md.stdout, /^### Mounted before the run \(1\)$/m);
  }
});
