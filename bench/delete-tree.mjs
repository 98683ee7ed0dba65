// deleteTree (fd-relative, mount-checked, never following links) against the named baseline
// `rm -rf --one-file-system` on the same tree shape, same file system, alternating runs.
// Target: deleteTree wall time <= 1.3x rm's on a 100k-file tree.
// Usage: node bench/delete-tree.mjs [--files 100000] [--reps 3] [--dir /tmp] [--tmpfs] [--shape chroot|wide|flat]
// --dir picks the file system (default /tmp: the host disk here); --tmpfs mounts a private tmpfs
// (root only) to see the CPU-bound case. Needs `npx tsc -p tsconfig.json` first (imports dist/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { median, report, timeSync } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const files = Number(opt('files', '100000'));
const reps = Number(opt('reps', '3'));
const shape = opt('shape', 'chroot');
const { deleteTree } = await import(new URL('../dist/src/host/delete/safe-delete.js', import.meta.url).href);

/** chroot: ~8 files per folder in 3 levels (like /usr); wide: 1 file per folder; flat: 500 per folder. */
function makeTree(root) {
  const perDir = shape === 'wide' ? 1 : shape === 'flat' ? 500 : 8;
  const body = Buffer.alloc(100, 'x');
  let made = 0;
  for (let d = 0; made < files; d++) {
    const dir = `${root}/a${d % 25}/b${Math.floor(d / 25) % 25}/c${d}`;
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir && made < files; f++, made++) writeFileSync(`${dir}/f${f}`, body);
  }
}

const scratch = mkdtempSync(`${opt('dir', '/tmp')}/isoswarm-test-bench-delete-`);
let mounted = false;
try {
  if (args.includes('--tmpfs')) {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4g', 'isoswarm-bench', scratch]).status !== 0)
      throw new Error('mounting a tmpfs needs root');
    mounted = true;
  }
  const fsType = spawnSync('stat', ['-f', '-c', '%T', scratch], { encoding: 'utf8' }).stdout.trim();
  const t = { rm: [], del: [], noBytes: [] };
  const runs = {
    rm: (p) => timeSync('rm', ['-rf', '--one-file-system', p]),
    del: async (p) => {
      const t0 = performance.now();
      const r = await deleteTree(p);
      if (!r.complete || r.deletedFiles !== files)
        throw new Error(`deleteTree incomplete: ${JSON.stringify(r).slice(0, 400)}`);
      return performance.now() - t0;
    },
    noBytes: async (p) => {
      const t0 = performance.now();
      const r = await deleteTree(p, { countBytes: false });
      if (!r.complete) throw new Error('deleteTree incomplete');
      return performance.now() - t0;
    },
  };
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? ['rm', 'del', 'noBytes'] : ['noBytes', 'del', 'rm'];
    for (const k of order) {
      const p = `${scratch}/t`;
      makeTree(p);
      spawnSync('sync');
      t[k].push(await runs[k](p));
    }
  }
  const m = { rm: median(t.rm), del: median(t.del), noBytes: median(t.noBytes) };
  const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  report(
    `deleteTree vs rm -rf --one-file-system (${files} files, shape ${shape}, ${fsType}, ${reps} reps)`,
    { text: '<= 1.3x', test: (r) => r <= 1.3 },
    m.del / m.rm,
    [
      `rm -rf --one-file-system: median ${m.rm.toFixed(0)} ms (${fmt(t.rm)})`,
      `deleteTree:               median ${m.del.toFixed(0)} ms (${fmt(t.del)})`,
      `deleteTree, no byte count: median ${m.noBytes.toFixed(0)} ms (${fmt(t.noBytes)}) = ${(m.noBytes / m.rm).toFixed(2)}x`,
    ],
  );
} finally {
  if (mounted) spawnSync('umount', [scratch]);
  spawnSync('rm', ['-rf', '--one-file-system', `${scratch}/t`]);
  rmdirSync(scratch);
}
