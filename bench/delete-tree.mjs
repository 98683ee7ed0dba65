// The Cleaner's path, deleteAside (resolve, policy, pin, move aside to a trash name, mount checks;
// then find in private mount namespaces, the walker finishing), against the named baseline
// `rm -rf --one-file-system` on the same tree shape and file system, alternating runs, for a small
// and a large tree on tmpfs and on ext4. Target (issue 13): deleteAside's median wall time <= 1.0x
// rm's on each of the four, printed one verdict a line at the end. An in-place deleteTree (a user-named path: the walker alone, never find) is
// printed next to it, and for the small trees three floors of any delete by two child processes: two
// bare finds (nothing of the deleter's safety); two finds in the deleter's private mount namespace
// (its exec chain); and those with exact counts and names given only once each child is find (what
// makes the namespace checkable), still without any of the deleter's checks.
// Usage: node bench/delete-tree.mjs [--files 50000] [--small 2000] [--reps 5] [--shape chroot|wide|flat]
//        [--ext4 loop|root]  (loop: an ext4 image in RAM, default; root: a folder on the root fs,
//        which must be ext4). Root only (mounts). Needs `npm run build` first (imports dist/).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { FIND0, FIND_COUNTED, FIND_NS, twoFinds } from './delete-floors.mjs';
import { median, report, timeSync } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const large = Number(opt('files', '50000'));
const small = Number(opt('small', '2000'));
const reps = Number(opt('reps', '5'));
const shape = opt('shape', 'chroot');
const ext4 = opt('ext4', 'loop');
const dist = (p) => import(new URL(`../dist/src/host/${p}`, import.meta.url).href);
const { deleteTree } = await dist('delete/safe-delete.js');
const { deleteAside } = await dist('delete/aside.js');
const { openDir, closeFd } = await dist('fs/dir-fd.js');
const { fileIdOfFd } = await dist('fs/open-nofollow.js');

/**
 * chroot: ~8 files per folder in 3 levels (like /usr); wide: 1 file per folder; flat: 500 per folder.
 * Returns the entries below the root (files + folders), the count the Cleaner's plan hands the delete.
 */
function makeTree(root, files) {
  const perDir = shape === 'wide' ? 1 : shape === 'flat' ? 500 : 8;
  const body = Buffer.alloc(100, 'x');
  const dirs = new Set();
  let made = 0;
  for (let d = 0; made < files; d++) {
    const a = `${root}/a${d % 25}`;
    const b = `${a}/b${Math.floor(d / 25) % 25}`;
    const dir = `${b}/c${d}`;
    for (const x of [a, b, dir]) dirs.add(x);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir && made < files; f++, made++) writeFileSync(`${dir}/f${f}`, body);
  }
  return made + dirs.size;
}

const sh = (cmd, a) => {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** CPU seconds of this process and the children it has reaped (utime+stime+cutime+cstime). */
function cpuSec() {
  const text = readFileSync('/proc/self/stat', 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** Times rm, deleteAside and an in-place deleteTree on `files`-file trees under `dir`; prints one report. */
async function compare(label, dir, files, { untimed = false } = {}) {
  const kinds = files <= small ? ['rm', 'del', 'walker', 'floor', 'floorNs', 'floorGo'] : ['rm', 'del', 'walker'];
  const t = { rm: [], del: [], walker: [], floor: [], floorNs: [], floorGo: [] };
  const cpu = { rm: [], del: [], walker: [], floor: [], floorNs: [], floorGo: [] };
  const via = new Set();
  const runs = {
    rm: (p) => timeSync('rm', ['-rf', '--one-file-system', p]),
    del: async (p, entries) => {
      const t0 = performance.now();
      // As the Cleaner plans it: the tree's "dev:ino" first (its open and stat are timed too).
      const fd = await openDir(p);
      const fileId = fileIdOfFd(fd);
      await closeFd(fd);
      // The plan's entry count, as the Cleaner passes it (its plan walked the tree before, untimed here).
      const a = await deleteAside(p, undefined, { fileId, expectedEntries: entries });
      const ms = performance.now() - t0;
      const r = a.deleted;
      if (!r || !r.complete || r.deletedFiles !== files)
        throw new Error(`deleteAside incomplete: ${JSON.stringify(a).slice(0, 400)}`);
      via.add(`${r.via}: ${r.accounting}`.replace(/\d+ files and \d+ folders/, 'some files and folders'));
      return ms;
    },
    // The floor of any delete by two processes started from this one: two bare finds on the two
    // halves of the top level, no setpriv, no namespace, no counts, no checks (small trees only).
    floor: (p) => twoFinds(p, FIND0),
    // The same through the deleter's exec chain (setpriv, unshare, a private mount namespace): what
    // the namespace alone costs, still without the deleter's checks and counts.
    floorNs: (p) => twoFinds(p, FIND_NS),
    // ... with exact counts and names given only once each child is find (still no checks).
    floorGo: (p) => twoFinds(p, FIND_COUNTED, true),
    walker: async (p) => {
      const t0 = performance.now();
      const r = await deleteTree(p);
      if (!r.complete || r.via !== 'walker') throw new Error(`deleteTree in place: ${JSON.stringify(r).slice(0, 400)}`);
      return performance.now() - t0;
    },
  };
  const load = [];
  for (let i = 0; i < (untimed ? 1 : reps); i++) {
    const order = i % 2 === 0 ? kinds : [...kinds].reverse();
    for (const k of order) {
      const p = `${dir}/t`;
      const entries = makeTree(p, files);
      spawnSync('sync');
      load.push(loadavg()[0]);
      const c0 = cpuSec();
      t[k].push(await runs[k](p, entries));
      cpu[k].push(cpuSec() - c0);
    }
  }
  if (untimed) return true;
  const m = { rm: median(t.rm), del: median(t.del), walker: median(t.walker) };
  const c = { rm: median(cpu.rm), del: median(cpu.del), walker: median(cpu.walker) };
  const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  const ok = report(
    `deleteAside (move aside, then delete) vs rm -rf --one-file-system: ${label}, ${files} files, shape ${shape}, ${reps} reps`,
    { text: '<= 1.0x', test: (r) => r <= 1.0 },
    m.del / m.rm,
    [
      `rm -rf --one-file-system: median ${m.rm.toFixed(0)} ms (${fmt(t.rm)})`,
      `deleteAside:              median ${m.del.toFixed(0)} ms (${fmt(t.del)})`,
      `  removed by ${[...via].join('; ')}`,
      `deleteTree in place (walker): median ${m.walker.toFixed(0)} ms (${fmt(t.walker)}) = ${(m.walker / m.rm).toFixed(2)}x`,
      ...(t.floor.length > 0
        ? [
            `floor, two bare finds (no namespace, no counts, no checks): median ${median(t.floor).toFixed(0)} ms (${fmt(t.floor)}) = ${(median(t.floor) / m.rm).toFixed(2)}x`,
            `floor in the deleter's namespace (setpriv+unshare+find, no counts, no checks): median ${median(t.floorNs).toFixed(0)} ms (${fmt(t.floorNs)}) = ${(median(t.floorNs) / m.rm).toFixed(2)}x`,
            `  the same with exact counts and names once each child is find (no checks yet): median ${median(t.floorGo).toFixed(0)} ms (${fmt(t.floorGo)}) = ${(median(t.floorGo) / m.rm).toFixed(2)}x`,
          ]
        : []),
      `CPU (utime+stime, children included, 10 ms ticks): rm ${c.rm.toFixed(2)} s, deleteAside ${c.del.toFixed(2)} s` +
        ` (${c.rm > 0 ? (c.del / c.rm).toFixed(2) : '-'}x), in place ${c.walker.toFixed(2)} s`,
      `load average (1 min) during the runs: ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)} on ${sh('nproc', [])} processors`,
    ],
  );
  verdicts.push(
    `${label.split(' ')[0].padEnd(6)} ${String(files).padStart(6)} files: ${(m.del / m.rm).toFixed(2)}x (${m.del.toFixed(0)} vs ${m.rm.toFixed(0)} ms, load ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}${t.floor.length > 0 ? `; floor ${(median(t.floor) / m.rm).toFixed(2)}x, in the namespace ${(median(t.floorNs) / m.rm).toFixed(2)}x, + counts and go ${(median(t.floorGo) / m.rm).toFixed(2)}x` : ''}) ${ok ? 'MET' : 'NOT MET'}`,
  );
  return ok;
}

const verdicts = [];

const scratch = mkdtempSync('/tmp/isoswarm-test-bench-delete-');
const mounted = [];
let ok = true;
try {
  const tmpfs = `${scratch}/tmpfs`;
  mkdirSync(tmpfs);
  sh('mount', ['-t', 'tmpfs', '-o', 'size=6g', 'isoswarm-bench', tmpfs]);
  mounted.unshift(tmpfs);
  // The Cleaner is a long-running agent: one untimed round first, so that the first timed rep does
  // not pay module loading, JIT and the one-time find version check.
  await compare('warm-up', tmpfs, 1000, { untimed: true });
  ok = (await compare('tmpfs', tmpfs, small)) && ok;
  ok = (await compare('tmpfs', tmpfs, large)) && ok;

  let ext4Dir;
  let ext4Label;
  if (ext4 === 'root') {
    ext4Dir = mkdtempSync('/var/tmp/isoswarm-test-bench-delete-');
    const type = sh('stat', ['-f', '-c', '%T', ext4Dir]);
    ext4Label = `the root file system (${type}, ${sh('findmnt', ['-n', '-o', 'OPTIONS', '-T', ext4Dir])})`;
  } else {
    // ext4 in RAM: the file system's own code path without the disk's (and discard's) waits.
    const img = `${tmpfs}/ext4.img`;
    sh('truncate', ['-s', '3G', img]);
    sh('mkfs.ext4', ['-q', '-F', img]);
    ext4Dir = `${scratch}/ext4`;
    mkdirSync(ext4Dir);
    sh('mount', ['-o', 'loop', img, ext4Dir]);
    mounted.unshift(ext4Dir);
    ext4Label = 'ext4 (a loop-mounted image in RAM)';
  }
  try {
    ok = (await compare(ext4Label, ext4Dir, small)) && ok;
    ok = (await compare(ext4Label, ext4Dir, large)) && ok;
  } finally {
    if (ext4 === 'root') {
      spawnSync('rm', ['-rf', '--one-file-system', `${ext4Dir}/t`]);
      rmdirSync(ext4Dir);
    }
  }
} finally {
  // A loop device lets go of its image (on the tmpfs) a moment after its umount: retry (at load 7
  // once more than 5 s).
  for (const m of mounted)
    for (let i = 0; i < 300 && spawnSync('umount', [m]).status !== 0; i++) spawnSync('sleep', ['0.1']);
  spawnSync('rm', ['-rf', '--one-file-system', `${scratch}/tmpfs`, `${scratch}/ext4`]);
  rmdirSync(scratch);
}
console.log('\n## Summary: deleteAside vs rm -rf --one-file-system, median wall time, target <= 1.0x');
for (const v of verdicts) console.log(`  ${v}`);
process.exitCode = ok ? 0 : 1;
