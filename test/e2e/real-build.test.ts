// A real build under `isoswarm run` (opt-in: ISOSWARM_SLOW=1, needs the Debian mirror apt uses):
// debootstrap --variant=minbase bookworm, apt work inside the chroot, mksquashfs of the result.
// The first run is interrupted with Ctrl-C (SIGINT) once debootstrap is done; the second completes,
// reusing the packages the first downloaded through the apt cache. Timings are printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

const cliSyncJson = (env: NodeJS.ProcessEnv, args: string[]): string => cliSync(env, args).stdout;
import { needsRoot } from '../helpers/root.js';
import { aptMirror } from '../../src/host/system/apt-mirror.js';

const BUILD = `#!/bin/bash
# Arguments: CHROOT OUTDIR MIRROR [pause-after-debootstrap]
set -euo pipefail
C="$1"; OUT="$2"; MIRROR="$3"
t0=$(date +%s)
debootstrap --variant=minbase bookworm "$C" "$MIRROR" >"$OUT/debootstrap.log" 2>&1
echo "debootstrap: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/timings"
if [ "\${4:-}" = pause ]; then touch "$OUT/debootstrapped"; sleep 600; fi
mount -t proc proc "$C/proc"
mount -t sysfs sysfs "$C/sys"
mount --bind /dev "$C/dev"
mount --make-rslave "$C/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$C/dev/pts"
cp /etc/resolv.conf "$C/etc/resolv.conf"
t1=$(date +%s)
chroot "$C" apt-get update -qq
chroot "$C" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends less >/dev/null
echo "apt inside the chroot: $(( $(date +%s) - t1 )) s" | tee -a "$OUT/timings"
t2=$(date +%s%N)
# shellcheck disable=SC2086
mksquashfs "$C" "$OUT/filesystem.squashfs" -noappend -no-progress -e proc sys dev \${MKSQUASHFS_OPTS:-} >/dev/null
echo "mksquashfs (\${MKSQUASHFS_OPTS:-default}): $(( ($(date +%s%N) - t2) / 1000000 )) ms, $(stat -c %s "$OUT/filesystem.squashfs") bytes" | tee -a "$OUT/timings"
`;

function run(
  env: NodeJS.ProcessEnv,
  args: string[],
  onStart?: (pid: number) => void,
): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const c = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    if (c.pid) onStart?.(c.pid);
    c.once('exit', (code) => resolve({ code, stdout, ms: performance.now() - t }));
  });
}

const slow =
  process.env.ISOSWARM_SLOW === '1'
    ? needsRoot()
    : 'a real debootstrap build takes minutes and needs the Debian mirror: set ISOSWARM_SLOW=1';

describe('a real debootstrap build under isoswarm run, interrupted once', { skip: slow }, () => {
  const home = scratchHome('real-build');
  const work = mkdtempSync('/tmp/isoswarm-test-real-build-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });

  test('Ctrl-C after debootstrap: 130, all taken apart; then a full build that reuses the downloads', async () => {
    writeFileSync(`${work}/build.sh`, BUILD, { mode: 0o755 });
    const env = testEnv(home);
    const chroot = `${work}/chroot`;
    const mirror = aptMirror();
    const out1 = `${work}/out1`;
    rmSync(out1, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(out1);
    let pid = 0;
    const first = run(
      env,
      [
        'run',
        '--chroot',
        chroot,
        '--apt-cache',
        '--name',
        'bookworm-minbase',
        '--json',
        '--',
        `${work}/build.sh`,
        chroot,
        out1,
        mirror,
        'pause',
      ],
      (p) => (pid = p),
    );
    const t0 = Date.now();
    while (!existsSync(`${out1}/debootstrapped`)) {
      if (Date.now() - t0 > 15 * 60_000) throw new Error('debootstrap did not finish in 15 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    process.kill(pid, 'SIGINT');
    const r1 = await first;
    assert.equal(r1.code, 130, 'the interrupted build exits 128+SIGINT');
    const rec1 = JSON.parse(r1.stdout) as {
      teardown: { status: string };
      clean: { status: string };
      cache: { misses: number };
    };
    assert.equal(rec1.teardown.status, 'done');
    assert.equal(rec1.clean.status, 'done');
    assert.equal(existsSync(chroot), false);
    const out2 = `${work}/out2`;
    (await import('node:fs')).mkdirSync(out2);
    const r2 = await run(env, [
      'run',
      '--chroot',
      chroot,
      '--apt-cache',
      '--name',
      'bookworm-minbase',
      '--json',
      '--',
      `${work}/build.sh`,
      chroot,
      out2,
      mirror,
    ]);
    assert.equal(r2.code, 0);
    const rec2 = JSON.parse(r2.stdout) as {
      teardown: { status: string; unmounted: string[] };
      clean: { status: string };
      cache: { hits: number; misses: number; bytesSaved: number };
    };
    assert.equal(rec2.teardown.status, 'done');
    assert.ok(statSync(`${out2}/filesystem.squashfs`).size > 20e6);
    process.stderr.write(
      `\n[real build] interrupted run: ${(r1.ms / 1000).toFixed(1)} s (apt cache: ${rec1.cache.misses} packages downloaded)\n`,
    );
    process.stderr.write(
      `[real build] full run: ${(r2.ms / 1000).toFixed(1)} s; apt cache ${rec2.cache.hits} hits / ${rec2.cache.misses} misses, ${(rec2.cache.bytesSaved / 1e6).toFixed(1)} MB not downloaded again; ${rec2.teardown.unmounted.length} mounts taken down\n`,
    );
    process.stderr.write(`${readFileSync(`${out2}/timings`, 'utf8').trimEnd().replace(/^/gm, '[real build] ')}\n`);
  });

  test('isoswarm bootstrap: the second debootstrap of the same spec is unpacked from the tarball cache', async () => {
    const env = testEnv(home);
    const times: number[] = [];
    for (const round of [1, 2]) {
      const target = `${work}/boot${round}`;
      const r = await run(env, ['bootstrap', 'bookworm', target, '--variant', 'minbase', '--json']);
      assert.equal(r.code, 0);
      const b = JSON.parse(r.stdout) as { cache: string; makeMs: number | null; unpackMs: number };
      assert.equal(b.cache, round === 1 ? 'miss' : 'hit');
      assert.ok(existsSync(`${target}/usr/bin/apt-get`) || existsSync(`${target}/bin/sh`));
      times.push(r.ms);
      process.stderr.write(
        `[bootstrap] round ${round}: ${b.cache}, ${(r.ms / 1000).toFixed(1)} s (fetch ${b.makeMs === null ? '-' : `${(b.makeMs / 1000).toFixed(1)} s`}, unpack ${(b.unpackMs / 1000).toFixed(1)} s)\n`,
      );
    }
    assert.ok(times[1]! < times[0]!, 'the cached bootstrap was not faster');
    const eff = JSON.parse(
      cliSyncJson(env, ['memory', 'get', 'optimization/caching-effectiveness/debootstrap-tarballs']),
    ) as { hits: number; misses: number };
    assert.deepEqual([eff.hits, eff.misses], [1, 1]);
  });
});
