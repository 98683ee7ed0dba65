// Build step for the CLI bundles: bin.cjs runs them through vm.Script with a V8 code cache, and on
// Node 20 a script compiled from a code cache loses its dynamic-import callback. So every `import(`
// in a bundle is routed through __isoswarmImport, which bin.cjs defines in a normally loaded module.
import { readFileSync, writeFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(/(?<![\w$.])import\(/g, '__isoswarmImport(');
  if (/(?<![\w$.])import\(/.test(out)) throw new Error(`${file}: an import( is left`);
  writeFileSync(file, out);
}
