// `isoswarm run --keep`: the build mounts proc, sysfs, /dev, a read-only /usr and a tmpfs into a
// chroot that already holds files (a previous build's tree), leaves a daemon running inside and
// exits 0. After the run nothing is mounted under the chroot, the daemon is gone, and the tree is
// the same file by file: every entry that was there (type, mode, owner, size, mtime, content or
// link target) plus what the build wrote; nothing of the mounts' contents was copied into it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { onInterrupt, unmountAndRemoveSync } from '../helpers/interrupt-cleanup.js';

const BUILD = `#!/bin/bash
set -eu
C="$1"
mount -t proc proc "$C/proc"
mount -t sysfs sysfs "$C/sys"
mount --bind /dev "$C/dev"
mount --make-rslave "$C/dev"
mount --bind /usr "$C/usr"
mount -o remount,bind,ro "$C/usr"
mount -t tmpfs tmpfs "$C/run"
echo "tmpfs only" > "$C/run/on-tmpfs"
echo "written by the build" > "$C/etc/built"
setsid chroot "$C" /usr/bin/sleep 1000 </dev/null >/dev/null 2>&1 &
sleep 0.3
echo "build: done"
`;

/** One line per entry: path, type, mode, owner, size, mtime, and the content's hash or the link's target. */
function manifest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const kind = st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : st.isFile() ? 'f' : 'o';
    let what = '';
    if (kind === 'l') what = readlinkSync(p);
    if (kind === 'f') what = createHash('sha256').update(readFileSync(p)).digest('hex');
    // A directory's mtime changes when the build adds to it: its listing is compared instead.
    const mtime = kind === 'd' ? '' : String(st.mtimeMs);
    out.set(
      rel || '.',
      `${kind} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${kind === 'd' ? '' : st.size} ${mtime} ${what}`,
    );
    if (kind === 'd') for (const n of readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return out;
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

describe('isoswarm run --keep', { skip: needsRoot() }, () => {
  const home = scratchHome('run-keep');
  const work = mkdtempSync('/tmp/isoswarm-test-run-keep-');
  const chroot = `${work}/chroot`;
  const outsider = spawn('sleep', ['1000'], { stdio: 'ignore' });
  onInterrupt(`scratch ${work}`, () => unmountAndRemoveSync(work));
  after(() => {
    outsider.kill('SIGKILL');
    teardownHome(home);
    removeScratch(work);
  });

  test('unmounts, ends the processes inside, and keeps the tree file by file', () => {
    for (const d of ['proc', 'sys', 'dev', 'usr', 'run', 'etc', 'var/lib/dpkg', 'tmp', 'data/deep/er'])
      mkdirSync(join(chroot, d), { recursive: true });
    symlinkSync('usr/bin', join(chroot, 'bin'));
    symlinkSync('usr/lib', join(chroot, 'lib'));
    symlinkSync('usr/lib64', join(chroot, 'lib64'));
    symlinkSync('/etc/hostname', join(chroot, 'etc/absolute-link'));
    writeFileSync(join(chroot, 'etc/hostname'), 'kept-chroot\n');
    writeFileSync(join(chroot, 'var/lib/dpkg/status'), 'Package: base-files\nStatus: install ok installed\n\n');
    writeFileSync(join(chroot, 'data/deep/er/blob.bin'), Buffer.alloc(300_000, 7));
    writeFileSync(join(chroot, 'data/secret'), 'mode 600\n');
    chmodSync(join(chroot, 'data/secret'), 0o600);
    chmodSync(join(chroot, 'tmp'), 0o1777);
    utimesSync(
      join(chroot, 'data/deep/er/blob.bin'),
      new Date('2020-01-02T03:04:05Z'),
      new Date('2020-01-02T03:04:05Z'),
    );
    const before = manifest(chroot);
    writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
    const devNull = statSync('/dev/null').rdev;

    const r = cliSync(
      testEnv(home),
      ['run', '--chroot', chroot, '--keep', '--name', 'kept-build', '--json', '--', `${work}/build.sh`, chroot],
      undefined,
      180_000,
    );
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const rec = JSON.parse(r.stdout) as {
      kept?: { path: string; reason: string; teardown: string };
      teardown: { status: string; signalled: { cmdline: string }[]; unmounted: string[] } | null;
      clean: unknown;
      notes: string[];
    };
    assert.deepEqual(mountsUnder(chroot), [], 'nothing mounted under the kept chroot');
    assert.equal(rec.teardown?.status, 'done');
    assert.ok(
      rec.teardown.signalled.some((s) => /sleep 1000/.test(s.cmdline)),
      'the daemon inside was ended',
    );
    assert.ok(rec.teardown.unmounted.length >= 5, rec.teardown.unmounted.join(', '));
    assert.equal(rec.clean, null, 'nothing was deleted');
    assert.deepEqual(rec.kept, { path: chroot, reason: '--keep', teardown: 'done' });
    assert.ok(
      rec.notes.some((n) => n.includes('is kept (unmounted')),
      rec.notes.join('\n'),
    );
    assert.equal(outsider.exitCode, null, 'the sleep outside the chroot was left alone');
    assert.equal(statSync('/dev/null').rdev, devNull);

    const now = manifest(chroot);
    for (const [p, line] of before) assert.equal(now.get(p), line, `${p} unchanged`);
    const added = [...now.keys()].filter((p) => !before.has(p));
    assert.deepEqual(added, ['etc/built'], 'only what the build wrote was added');
    assert.equal(readFileSync(join(chroot, 'etc/built'), 'utf8'), 'written by the build\n');
    for (const d of ['proc', 'sys', 'dev', 'usr', 'run'])
      assert.deepEqual(readdirSync(join(chroot, d)), [], `${d}: an empty mount point again`);
  });

  test('a chroot on a tmpfs mounted before the run: keeping it is refused before the build, its files stay', () => {
    const onTmpfs = `${work}/on-tmpfs`;
    mkdirSync(onTmpfs);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'isoswarm-test-keep', onTmpfs], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      writeFileSync(`${onTmpfs}/precious`, 'only in memory\n');
      const ran = `${work}/tmpfs-build-ran`;
      const r = cliSync(
        testEnv(home),
        ['run', '--chroot', onTmpfs, '--keep', '--name', 'kept-on-tmpfs', '--', 'touch', ran],
        undefined,
        120_000,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        /--keep: refusing to keep .*\/on-tmpfs: .*\/on-tmpfs \(tmpfs isoswarm-test-keep\) was mounted/,
      );
      assert.equal(existsSync(ran), false, 'the build did not run');
      assert.deepEqual(mountsUnder(onTmpfs), [onTmpfs], 'the tmpfs is still mounted');
      assert.equal(readFileSync(`${onTmpfs}/precious`, 'utf8'), 'only in memory\n');
    } finally {
      if (mountsUnder(onTmpfs).length) spawnSync('umount', ['--no-canonicalize', '--', onTmpfs]);
    }
  });

  test('--keep without a chroot is a usage error', () => {
    const r = cliSync(testEnv(home), ['run', '--keep', '--', 'true']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--keep needs a chroot/);
  });
});
