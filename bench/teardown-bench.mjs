// Teardown + clean of a chroot with 200 mounts (tmpfs, bind, proc) and a 100k-file tree: isoswarm
// (`isoswarm cleanup` through a running swarm: signal, unmount children first, verify, delete without
// crossing mounts) against `umount -R` followed by `rm -rf --one-file-system`, in the same run.
// Target: <= 1.3x the baseline's wall time. Needs root. Usage: node bench/teardown-bench.mjs [files] [mounts]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { CLI, report, withSwarm } from './lib.mjs';

const FILES = Number(process.argv[2] ?? 100_000);
const MOUNTS = Number(process.argv[3] ?? 200);
const scratch = mkdtempSync('/tmp/isoswarm-bench-td-');

function build(name) {
  const root = `${scratch}/${name}`;
  const hostDir = `${scratch}/${name}-host`;
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(`${hostDir}/canary`, 'host side\n');
  // 8 files a directory, like /usr.
  for (let d = 0; d < FILES / 8; d++) {
    const dir = `${root}/tree/d${d % 100}/e${d}`;
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 8; f++) writeFileSync(`${dir}/f${f}`, 'x'.repeat(64));
  }
  // The chroot is itself a mount point (a self-bind), as `umount -R` needs and many build tools do.
  execFileSync('mount', ['--bind', root, root]);
  for (let m = 0; m < MOUNTS; m++) {
    const at = `${root}/mnt/m${m}`;
    mkdirSync(at, { recursive: true });
    const kind = m % 4;
    if (kind === 0) execFileSync('mount', ['--bind', hostDir, at]);
    else if (kind === 1) execFileSync('mount', ['-t', 'proc', 'proc', at]);
    else execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', at]);
  }
  execFileSync('sync');
  return root;
}

function time(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function mountedUnder(dir) {
  return execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => (l.split(' ')[4] ?? '').startsWith(`${dir}/`)).length;
}

const swarm = withSwarm('teardown');
try {
  const base = build('baseline');
  const baseMs = time(() => {
    execFileSync('umount', ['-R', base]);
    execFileSync('rm', ['-rf', '--one-file-system', base]);
  });
  const ours = build('isoswarm');
  let out;
  const oursMs = time(() => {
    out = spawnSync(process.execPath, [CLI, 'cleanup', ours, '--force'], { env: swarm.env, encoding: 'utf8' });
  });
  if (out.status !== 0) throw new Error(`isoswarm cleanup failed (${out.status}): ${out.stdout}${out.stderr}`);
  if (mountedUnder(scratch)) throw new Error('mounts left under the scratch dir');
  const ok = report(
    'teardown + clean (200 mounts, 100k files)',
    { text: '<= 1.3x umount -R + rm -rf --one-file-system', test: (r) => r <= 1.3 },
    oursMs / baseMs,
    [
      `files ${FILES}, mounts ${MOUNTS} (bind, proc, tmpfs)`,
      `baseline umount -R + rm -rf --one-file-system: ${(baseMs / 1000).toFixed(2)} s`,
      `isoswarm cleanup (teardown + delete, via the swarm): ${(oursMs / 1000).toFixed(2)} s`,
    ],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  swarm.stop();
  for (let i = 0; i < 3 && mountedUnder(scratch); i++) {
    spawnSync('umount', ['-R', `${scratch}/baseline`]);
    spawnSync('umount', ['-R', `${scratch}/isoswarm`]);
  }
  if (!mountedUnder(scratch)) rmSync(scratch, { recursive: true, force: true });
}
