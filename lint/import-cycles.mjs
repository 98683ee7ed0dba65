// Fails when the static imports of src/, agents/ and hooks/ form a cycle (type-only imports included:
// a cycle of types is still two files that cannot be understood apart). Dynamic import() is left out.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = dirname(dirname(new URL(import.meta.url).pathname));
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|cts)$/.test(n) && !n.endsWith('.d.ts')) files.push(p);
  }
};
for (const d of ['src', 'agents', 'hooks']) walk(join(root, d));

const known = new Set(files);
const IMPORT = /^\s*(?:import|export)\s+(?:[^'"`;]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
const edges = new Map();
for (const f of files) {
  const out = [];
  for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
    const t = resolve(dirname(f), m[1]).replace(/\.c?js$/, (e) => (e === '.cjs' ? '.cts' : '.ts'));
    if (known.has(t)) out.push(t);
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components; any component of more than one file is a cycle.
let index = 0;
const idx = new Map(),
  low = new Map(),
  stack = [],
  on = new Set(),
  cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v)) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      comp.push(relative(root, w));
    } while (w !== v);
    if (comp.length > 1 || edges.get(v).includes(v)) cycles.push(comp);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);
if (cycles.length) {
  for (const c of cycles) console.error(`import cycle: ${c.sort().join(' <-> ')}`);
  process.exit(1);
}
