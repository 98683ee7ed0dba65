// Benchmark: a real `lb build` of a minimal bookworm iso-hybrid (grub-pc) under `isoswarm run`, twice
// in one project. Run A is the baseline: `--squashfs respect`, so live-build's squashfs stage runs
// its default `-comp xz`. Then `lb clean` (live-build's cache/ stays) and run B: `--squashfs
// override` with the aggressive mode, so the tuner's choice for this chroot reaches the stage
// through live-build's knobs. Printed: each run's stages with durations, the squashfs stage's
// mksquashfs wall time and image size in both runs, their ratio, live-build's cache hits, the ISO
// checked by xorriso (-report_el_torito) and the image's compressor by unsquashfs -s.
// Target (issue 17): run B's squashfs stage >= 5x faster than A's at <= 1.25x the image size.
// Usage (root, network to deb.debian.org, live-build installed, ~20-30 min):
//   npm run build && node bench/live-build.mjs [--json] [--out FILE.json] [--keep-project]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CLI, report, withSwarm } from './lib.mjs';

const json = process.argv.includes('--json');
const outFile = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : null;
const log = (m) => process.stderr.write(`${m}\n`);
if (process.getuid?.() !== 0) throw new Error('live-build needs root');
if (spawnSync('lb', ['--version']).status !== 0)
  throw new Error('live-build is not installed (apt-get install live-build)');

// An interrupt reaches `isoswarm run` too (same process group): it tears its chroot down; the bench
// then stops its swarm and removes its project in `finally` instead of dying on the signal.
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    interrupted = true;
    log(`${sig}: finishing the current step, then cleaning up`);
  });
const swarm = withSwarm('live-build');
const proj = mkdtempSync('/var/tmp/isoswarm-bench-lb-');
const mountsUnder = (d) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === d || p.startsWith(`${d}/`));

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: proj, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  return r.stdout;
}

function lbRun(label, flags, extraEnv = {}) {
  if (interrupted) throw new Error('interrupted');
  log(`${label}: isoswarm run ${flags.join(' ')} -- lb build (load ${loadavg()[0].toFixed(2)})`);
  const t = performance.now();
  const loadBefore = loadavg();
  const out = sh(process.execPath, [CLI, 'run', ...flags, '--json', '--', 'lb', 'build'], {
    env: { ...swarm.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 3 * 3600_000,
  });
  const rec = JSON.parse(out);
  const iso = join(proj, 'live-image-amd64.hybrid.iso');
  const squash = join(proj, 'binary/live/filesystem.squashfs');
  const call = (rec.squashfsCalls ?? [])[0] ?? null;
  const torito = spawnSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8' });
  const sq = spawnSync('unsquashfs', ['-s', squash], { encoding: 'utf8' }).stdout ?? '';
  return {
    label,
    runId: rec.runId,
    exitCode: rec.exitCode,
    wallMs: performance.now() - t,
    load1: loadavg()[0],
    loadBefore,
    loadAfter: loadavg(),
    stages: (rec.stages ?? []).map((s) => ({ name: s.name, durationMs: s.durationMs, buildCpuPct: s.buildCpuPct })),
    squashfs: {
      asked: call?.asked ?? null,
      ran: call?.ran ?? null,
      tuned: call?.tuned?.label ?? null,
      reason: call?.tuned?.reason ?? null,
      baseline: call?.baseline ?? null,
      wallMs: call?.measured?.wallMs ?? null,
      stageMs: (rec.stages ?? []).find((s) => s.name === 'binary_rootfs')?.durationMs ?? null,
      imageBytes: existsSync(squash) ? statSync(squash).size : null,
      compression: /Compression (\S+)/.exec(sq)?.[1] ?? null,
      blockSize: Number(/Block size (\d+)/.exec(sq)?.[1] ?? NaN),
    },
    iso: {
      bytes: existsSync(iso) ? statSync(iso).size : null,
      elTorito: torito.status === 0 && /El Torito boot img/.test(torito.stdout),
      report: (torito.stdout ?? '').trim().split('\n').slice(0, 8),
    },
    caches: rec.builderCaches ?? [],
    kept: rec.kept ?? null,
  };
}

let out;
try {
  // security.debian.org answers 400 here; the same archive is on deb.debian.org (as apt uses it).
  const security = process.env.LB_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security/';
  const lbConfig = () =>
    sh('lb', [
      'config',
      '--distribution',
      'bookworm',
      '--binary-images',
      'iso-hybrid',
      '--bootloaders',
      'grub-pc',
      '--mirror-chroot-security',
      security,
      '--mirror-binary-security',
      security,
    ]);
  lbConfig();
  const a = lbRun('A (live-build default: -comp xz)', ['--squashfs', 'respect']);
  if (outFile) writeFileSync(outFile, JSON.stringify({ a }, null, 2));
  if (a.exitCode !== 0) throw new Error(`run A failed (exit ${a.exitCode})`);
  log('lb clean (cache/ stays)');
  // `lb clean` (--all) drops every stage file, config's too: config is written again, cache/ stays.
  sh('lb', ['clean']);
  lbConfig();
  const b = lbRun('B (tuned, aggressive, override)', ['--squashfs', 'override'], { ISOSWARM_TUNE_MODE: 'aggressive' });
  if (b.exitCode !== 0) throw new Error(`run B failed (exit ${b.exitCode})`);
  const cmp = sh(process.execPath, [CLI, 'report', a.runId, '--compare', b.runId], { env: swarm.env });
  out = { a, b, compare: cmp };
  if (outFile) writeFileSync(outFile, JSON.stringify(out, null, 2));
  const speed = a.squashfs.wallMs / b.squashfs.wallMs;
  const size = b.squashfs.imageBytes / a.squashfs.imageBytes;
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(cmp);
    for (const r of [a, b])
      console.log(
        `${r.label}: build ${(r.wallMs / 1000).toFixed(0)} s (load 1/5/15 min before ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')}); squashfs ${r.squashfs.compression} ` +
          `${r.squashfs.blockSize} B blocks: mksquashfs ${(r.squashfs.wallMs / 1000).toFixed(1)} s (stage ${(r.squashfs.stageMs / 1000).toFixed(0)} s), ` +
          `${(r.squashfs.imageBytes / 1e6).toFixed(1)} MB; ISO ${(r.iso.bytes / 1e6).toFixed(1)} MB, El Torito ${r.iso.elTorito ? 'yes' : 'NO'}; ` +
          `caches ${r.caches.map((c) => `${c.cache} ${c.hits}/${c.hits + c.misses}`).join(', ')}`,
      );
    report(
      'live-build squashfs stage: tuned (B) vs live-build default xz (A)',
      { text: '>= 5x at <= 1.25x size', test: (x) => x >= 5 && size <= 1.25 },
      speed,
      [
        `image size B/A ${size.toFixed(3)}x`,
        `tuned ${b.squashfs.tuned}; ran ${(b.squashfs.ran ?? []).slice(2).join(' ')}`,
        `baseline ${b.squashfs.baseline}; ${b.squashfs.reason}`,
        `mksquashfs wall A ${(a.squashfs.wallMs / 1000).toFixed(1)} s, B ${(b.squashfs.wallMs / 1000).toFixed(1)} s; ` +
          `binary_rootfs stage A ${(a.squashfs.stageMs / 1000).toFixed(1)} s, B ${(b.squashfs.stageMs / 1000).toFixed(1)} s ` +
          `(stage ratio ${(a.squashfs.stageMs / b.squashfs.stageMs).toFixed(2)}x)`,
      ],
    );
  }
} finally {
  swarm.stop();
  const left = mountsUnder(proj);
  if (left.length) log(`not removing ${proj}: still mounted ${left.join(', ')}`);
  else if (!process.argv.includes('--keep-project')) rmSync(proj, { recursive: true, force: true });
}
