// Benchmark: the PerformanceTuner's choice against the common distro setting (xz, 1 MiB blocks) and
// mksquashfs's default (gzip), all built for real in the same run on one tree of >= 250 MB.
// Usage: node bench/tuner-bench.mjs [TREE]   (build first: npx tsc -p tsconfig.json)
// Without TREE, copies parts of /usr/share and /usr/lib into a scratch dir and removes it after.
// Targets (issue 4): aggressive >= 5x faster than xz-1M at <= 1.25x its size; conservative within
// 3 % of the smallest image measured; sampling <= 10 % of the xz-1M build's time.
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { buildSquashfs } = await import(new URL('src/host/squashfs/mksquashfs.js', dist).href);
const { tune } = await import(new URL('agents/performance-tuner/tune.js', dist).href);
const { choose } = await import(new URL('agents/performance-tuner/choose.js', dist).href);

const MIN_TREE = 260e6;

function du(p) {
  const st = lstatSync(p);
  if (st.isSymbolicLink() || !st.isDirectory()) return st.isFile() ? st.size : 0;
  let n = 0;
  for (const e of readdirSync(p)) n += du(join(p, e));
  return n;
}

/** Copies whole subdirs of /usr/share and /usr/lib (in name order) until the tree holds >= 260 MB. */
function makeTree(dest) {
  let bytes = 0;
  for (const base of ['/usr/share', '/usr/lib']) {
    for (const name of readdirSync(base).sort()) {
      if (bytes >= MIN_TREE) return bytes;
      const src = join(base, name);
      let st;
      try {
        st = lstatSync(src);
      } catch {
        continue;
      }
      if (!st.isDirectory() || st.dev !== lstatSync(base).dev) continue;
      const size = du(src);
      if (size > 120e6) continue; // keep the mix varied: no single huge dir
      cpSync(src, join(dest, base.slice(1).replace('/', '-'), name), {
        recursive: true,
        verbatimSymlinks: true,
        errorOnExist: false,
        filter: (s) => {
          const t = lstatSync(s);
          return t.isDirectory() || t.isFile() || t.isSymbolicLink();
        },
      });
      bytes += size;
    }
  }
  return bytes;
}

const argTree = process.argv[2];
const scratch = mkdtempSync('/tmp/isoswarm-bench-tuner-');
const tree = argTree ?? join(scratch, 'tree');
try {
  if (!argTree) {
    const t0 = performance.now();
    const b = makeTree(tree);
    console.log(
      `tree: copied ${(b / 1e6).toFixed(0)} MB from /usr/share and /usr/lib in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const memory = new Map();
  const mem = { get: (k) => memory.get(k), set: (k, v) => void memory.set(k, v) };
  const r = await tune({ target: tree, mode: 'aggressive', force: true, scratchParent: scratch }, mem);
  const sampling = r.record.samplingMs;
  console.log(
    `tune: ${r.durationMs} ms total, sampling ${sampling} ms; sample ${(r.record.sample.bytes / 1e6).toFixed(1)} MB + sub-sample ${(r.record.sample.subsampleBytes / 1e6).toFixed(1)} MB of ${(r.treeSignature.bytes / 1e6).toFixed(0)} MB`,
  );
  console.log('\ncandidate        sample   predicted build  cpu      image     read-back');
  for (const c of r.candidates) {
    const p = c.predicted;
    console.log(
      `${c.label.padEnd(14)} ${c.run.level.padEnd(9)} ${(p.buildMs / 1000).toFixed(2).padStart(7)} s ${(p.cpuMs / 1000).toFixed(2).padStart(7)} s ${(p.imageBytes / 1e6).toFixed(1).padStart(7)} MB ${(p.readBackMs / 1000).toFixed(2).padStart(6)} s`,
    );
  }
  for (const p of r.record.pruned) console.log(`${p.label.padEnd(14)} pruned: ${p.reason}`);
  console.log(
    `distinct share of the tree ${r.record.dedup.uniqueShare.toFixed(3)}; budget ${r.record.budget.budgetMs} ms (10 % of predicted xz-1M), within: ${r.record.budget.withinBudget}\n`,
  );
  const cons = choose(r.candidates, 'conservative').label;
  const aggr = r.choice.label;
  const byLabel = new Map(r.candidates.map((c) => [c.label, c]));
  const runs = new Map();
  const img = join(scratch, 'full.img');
  const toBuild = [...new Set(['xz-b1M/p' + r.fingerprint.threads, 'gzip/p' + r.fingerprint.threads, aggr, cons])];
  for (const label of toBuild) {
    const c = byLabel.get(label);
    const b = await buildSquashfs(tree, img, c.choice);
    rmSync(img, { force: true });
    runs.set(label, b);
    console.log(
      `${label.padEnd(14)} wall ${(b.wallMs / 1000).toFixed(2)} s  cpu ${(b.cpuMs / 1000).toFixed(2)} s  image ${(b.imageBytes / 1e6).toFixed(1)} MB` +
        `   predicted ${(c.predicted.buildMs / 1000).toFixed(2)} s / cpu ${(c.predicted.cpuMs / 1000).toFixed(2)} s / ${(c.predicted.imageBytes / 1e6).toFixed(1)} MB`,
    );
  }
  const xz = runs.get(toBuild[0]);
  const gz = runs.get(toBuild[1]);
  const a = runs.get(aggr);
  const smallest = Math.min(...[...runs.values()].map((b) => b.imageBytes));
  const rows = [
    ['aggressive speed vs xz-1M (wall)', xz.wallMs / a.wallMs, '>= 5', xz.wallMs / a.wallMs >= 5],
    ['aggressive speed vs xz-1M (cpu)', xz.cpuMs / a.cpuMs, '>= 5', xz.cpuMs / a.cpuMs >= 5],
    ['aggressive size / xz-1M size', a.imageBytes / xz.imageBytes, '<= 1.25', a.imageBytes / xz.imageBytes <= 1.25],
    ['aggressive speed vs gzip default (wall)', gz.wallMs / a.wallMs, '(info)', true],
    ['aggressive size / gzip default size', a.imageBytes / gz.imageBytes, '(info)', true],
    [
      'conservative size / smallest measured',
      runs.get(cons).imageBytes / smallest,
      '<= 1.03',
      runs.get(cons).imageBytes / smallest <= 1.03,
    ],
    [
      'whole tune (scan+sample+measure) / xz-1M build',
      r.durationMs / xz.wallMs,
      '<= 0.10',
      r.durationMs / xz.wallMs <= 0.1,
    ],
    ['sampling and measuring only / xz-1M build', sampling / xz.wallMs, '(info)', true],
  ];
  console.log(
    `\nchoices: aggressive ${aggr}, conservative ${cons}; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  for (const [name, v, target, ok] of rows)
    console.log(`${name.padEnd(48)} ${v.toFixed(3).padStart(8)}  target ${target.padEnd(8)} ${ok ? 'PASS' : 'MISS'}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
