// Which shell parser the guard can use: load + first parse in a fresh process, median of N, against
// `node -e 0`, and whether the syntax tree carries the words of a command (the guard needs argv).
// sh-syntax (mvdan/sh as WASM) vs mvdan-sh (the same parser through GopherJS, the one the guard uses).
import { spawnSync } from 'node:child_process';
import { median } from './lib.mjs';

const N = Number(process.argv[2] ?? 15);
const probe = {
  'sh-syntax': `const t=performance.now();import('sh-syntax').then(async (s)=>{const f=await s.parse('rm -rf /mnt/x');const c=f.Stmts[0].Cmd;process.stdout.write(JSON.stringify({ms:performance.now()-t,words:'Args' in c,keys:Object.keys(c)}))})`,
  'mvdan-sh': `const t=performance.now();const {syntax}=require('mvdan-sh');const f=syntax.NewParser().Parse('rm -rf /mnt/x','');const c=f.Stmts[0].Cmd;process.stdout.write(JSON.stringify({ms:performance.now()-t,words:Array.isArray(c.Args),keys:c.Args.map(a=>a.Parts[0].Value)}))`,
};
const base = [];
const runs = Object.fromEntries(Object.keys(probe).map((k) => [k, { wall: [], inproc: [], last: null }]));
for (let i = 0; i < N; i++) {
  let t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  base.push(performance.now() - t);
  for (const [k, code] of Object.entries(probe)) {
    t = performance.now();
    const r = spawnSync(process.execPath, ['-e', code], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    });
    runs[k].wall.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${k}: ${r.stderr}`);
    runs[k].last = JSON.parse(r.stdout);
    runs[k].inproc.push(runs[k].last.ms);
  }
}
console.log(`\n## shell parser: load + first parse in a fresh process (median of ${N})`);
console.log(`  node -e 0: ${median(base).toFixed(1)} ms`);
for (const [k, v] of Object.entries(runs)) {
  console.log(
    `  ${k}: process ${median(v.wall).toFixed(1)} ms (${(median(v.wall) / median(base)).toFixed(2)}x node -e 0), load+parse in process ${median(v.inproc).toFixed(1)} ms; command words in the tree: ${v.last.words ? `yes ${JSON.stringify(v.last.keys)}` : `no (the command node has only ${JSON.stringify(v.last.keys)})`}`,
  );
}
console.log(
  '  the guard needs the words, so it uses mvdan-sh; neither fits a hook call cold, so the coordinator keeps it loaded',
);
