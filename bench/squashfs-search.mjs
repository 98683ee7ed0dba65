// Benchmark: the tuner's search against the common distro setting (xz, 1 MiB blocks), on two real
// trees of >= 300 MB built side by side in one run: a copy of /usr/lib/x86_64-linux-gnu (binary-heavy)
// and a copy of /usr/share (text-heavy). For each tree: the tune (aggressive; scan + sample + search),
// then full builds of the aggressive choice, xz -b 1M, the conservative choice and xz -b 1M -Xbcj x86
// (when the tuner considered it: the smallest contenders). Measured-vs-predicted pairs of the first tree's builds are stored as the
// host's time calibration, and the second tree's decision reads them back (printed).
// Usage: node bench/squashfs-search.mjs [BINARY_TREE TEXT_TREE]   (after npm run build)
// Targets (issue 11): aggressive >= 8x faster than xz -b 1M at <= 1.25x its size on both trees;
// conservative within 2 % of the smallest image measured on the whole tree; tune <= 5 % of the xz build.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { buildSquashfs, choiceLabel } = await import(new URL('src/host/squashfs.js', dist).href);
const { tune } = await import(new URL('agents/performance-tuner/tune.js', dist).href);
const { choose } = await import(new URL('agents/performance-tuner/choose.js', dist).href);
const { addPair, calibrationKey } = await import(new URL('agents/performance-tuner/calibration.js', dist).href);

const MIN_TREE = 300e6;
const scratch = mkdtempSync('/tmp/isoswarm-bench-search-');
const given = process.argv.slice(2);
const trees = [
  { name: 'binary', src: ['/usr/lib/x86_64-linux-gnu', '/usr/lib/gcc', '/usr/libexec'], dir: given[0] },
  { name: 'text', src: ['/usr/share'], dir: given[1] },
];
const memory = new Map();
const mem = { get: (k) => memory.get(k), set: (k, v) => void memory.set(k, v) };
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;

function copyTree(t) {
  const dest = join(scratch, t.name);
  let bytes = 0;
  for (const src of t.src) {
    if (bytes >= MIN_TREE * 1.5) break;
    const r = spawnSync('cp', ['-a', '--', src, join(dest, src.slice(1).replace(/\//g, '-'))], { stdio: 'inherit' });
    if (r.status !== 0 && r.status !== 1) throw new Error(`cp ${src} failed`);
    spawnSync('mkdir', ['-p', dest]);
    bytes = Number(spawnSync('du', ['-sb', dest], { encoding: 'utf8' }).stdout.split('\t')[0]);
  }
  return dest;
}

try {
  const results = [];
  for (const t of trees) {
    if (!t.dir) {
      spawnSync('mkdir', ['-p', join(scratch, t.name)]);
      const t0 = performance.now();
      t.dir = copyTree(t);
      console.log(`[${t.name}] copied ${t.src.join(' ')} in ${s(performance.now() - t0)}`);
    }
    const cpu0 = process.cpuUsage();
    const r = await tune(
      {
        target: t.dir,
        mode: 'aggressive',
        force: true,
        scratchParent: scratch,
        onProgress: (m) => console.log(`  [${t.name}] ${m}`),
      },
      mem,
    );
    const own = process.cpuUsage(cpu0);
    // The tune's CPU: this process (scan, sampling, hashing) plus every mksquashfs/unsquashfs it ran.
    const tuneCpuMs =
      (own.user + own.system) / 1000 +
      r.candidates.reduce((a, c) => a + (c.run.cpuMs ?? 0) * c.run.runs + c.run.readBackMs, 0);
    console.log(
      `[${t.name}] tree ${mb(r.treeSignature.bytes)}, ${r.treeSignature.files} files; tune ${s(r.durationMs)} (sampling ${s(r.record.samplingMs)}); time factors ${JSON.stringify(r.timeFactors)}`,
    );
    for (const c of r.candidates)
      console.log(
        `  ${c.label.padEnd(22)} ${c.run.level.padEnd(9)} predicted ${s(c.predicted.buildMs).padStart(8)} ${mb(c.predicted.imageBytes).padStart(10)}${c.timeFactor ? ` (x${c.timeFactor})` : ''}`,
      );
    for (const p of r.record.pruned) console.log(`  ${p.label.padEnd(22)} pruned: ${p.reason}`);
    for (const st of r.record.search?.steps ?? []) console.log(`  step: ${st}`);
    const cons = choose(r.candidates, 'conservative');
    const byLabel = new Map(r.candidates.map((c) => [c.label, c]));
    const p = r.fingerprint.threads;
    const xzChoice = { comp: 'xz', blockSize: 1 << 20, processors: p };
    const bcjChoice = { comp: 'xz', blockSize: 1 << 20, bcj: 'x86', processors: p };
    // Cheapest first, so a run cut short still shows the aggressive comparison; xz -Xbcj x86 (it
    // compresses every block with and without the filter: about twice xz's CPU) only when the
    // tuner considered it for this tree, and last.
    const plan = [
      ['aggressive', r.choice.choice],
      ['xz-1M', xzChoice],
      ['conservative', byLabel.get(cons.label).choice],
    ];
    if (byLabel.has(choiceLabel(bcjChoice))) plan.push(['xz-1M-bcj', bcjChoice]);
    const built = new Map();
    const img = join(scratch, 'full.img');
    for (const [role, choice] of plan) {
      const label = choiceLabel(choice);
      if (!built.has(label)) {
        const b = await buildSquashfs(t.dir, img, choice);
        rmSync(img, { force: true });
        built.set(label, b);
        const pred = byLabel.get(label)?.predicted;
        console.log(
          `  full ${role.padEnd(12)} ${label.padEnd(22)} wall ${s(b.wallMs)} cpu ${s(b.cpuMs ?? 0)} image ${mb(b.imageBytes)}` +
            (pred ? `  predicted ${s(pred.buildMs)} ${mb(pred.imageBytes)}` : ''),
        );
        if (pred) {
          const k = calibrationKey(r.fingerprint.id);
          mem.set(
            k,
            addPair(memory.get(k), r.fingerprint.id, {
              label,
              comp: choice.comp,
              predictedMs: pred.buildMs,
              measuredMs: b.wallMs,
              predictedBytes: pred.imageBytes,
              measuredBytes: b.imageBytes,
              cpuMs: b.cpuMs,
              at: new Date().toISOString(),
              source: 'bench',
            }),
          );
        }
      }
    }
    const get = (c) => built.get(choiceLabel(c));
    const xz = get(xzChoice);
    const aggr = get(r.choice.choice);
    const consB = get(byLabel.get(cons.label).choice);
    const smallest = [...built.entries()].sort((a, b) => a[1].imageBytes - b[1].imageBytes)[0];
    results.push({
      name: t.name,
      bytes: r.treeSignature.bytes,
      tuneMs: r.durationMs,
      xzMs: xz.wallMs,
      aggr: r.choice.label,
      cons: cons.label,
      speed: xz.wallMs / aggr.wallMs,
      cpuSpeed: (xz.cpuMs ?? NaN) / (aggr.cpuMs ?? NaN),
      tuneCpuMs,
      xzCpuMs: xz.cpuMs,
      size: aggr.imageBytes / xz.imageBytes,
      consVs: consB.imageBytes / smallest[1].imageBytes,
      smallest: smallest[0],
    });
  }
  const col = (f) => results.map((x) => String(f(x)).padStart(26)).join('');
  const ok = (b) => (b ? 'PASS' : 'MISS');
  console.log(
    `\nload average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(`${''.padEnd(44)}${col((x) => x.name)}`);
  console.log(`${'tree'.padEnd(44)}${col((x) => mb(x.bytes))}`);
  console.log(`${'xz -b 1M build (baseline)'.padEnd(44)}${col((x) => s(x.xzMs))}`);
  console.log(`${'aggressive choice'.padEnd(44)}${col((x) => x.aggr)}`);
  console.log(
    `${'aggressive speed vs xz -b 1M (>= 8)'.padEnd(44)}${col((x) => `${x.speed.toFixed(2)}x ${ok(x.speed >= 8)}`)}`,
  );
  console.log(`${'aggressive CPU-time ratio vs xz -b 1M (info)'.padEnd(44)}${col((x) => `${x.cpuSpeed.toFixed(2)}x`)}`);
  console.log(
    `${'aggressive size / xz -b 1M (<= 1.25)'.padEnd(44)}${col((x) => `${x.size.toFixed(3)} ${ok(x.size <= 1.25)}`)}`,
  );
  console.log(`${'conservative choice'.padEnd(44)}${col((x) => x.cons)}`);
  console.log(`${'smallest measured on the whole tree'.padEnd(44)}${col((x) => x.smallest)}`);
  console.log(
    `${'conservative / smallest (<= 1.02)'.padEnd(44)}${col((x) => `${x.consVs.toFixed(3)} ${ok(x.consVs <= 1.02)}`)}`,
  );
  console.log(
    `${'tune CPU / xz -b 1M build CPU (info)'.padEnd(44)}${col((x) => `${((x.tuneCpuMs / x.xzCpuMs) * 100).toFixed(1)} %`)}`,
  );
  console.log(
    `${'tune / xz -b 1M build (<= 5 %)'.padEnd(44)}${col((x) => `${((x.tuneMs / x.xzMs) * 100).toFixed(1)} % ${ok(x.tuneMs / x.xzMs <= 0.05)}`)}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
