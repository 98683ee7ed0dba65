// Loads mvdan-sh (1.5 MB of GopherJS) with a V8 code cache kept under dist/: a hook that judges a
// command itself (the swarm down) then skips most of the compile. A foreign or stale cache is
// rejected by V8 and rewritten; a read-only install simply runs without it.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { packageRoot } from '../package-root.js';

export function loadWithCodeCache(specifier: string, from: string): unknown {
  const req = createRequire(from);
  const file = req.resolve(specifier);
  const st = statSync(file);
  const cacheFile = join(
    packageRoot,
    'dist',
    'cli',
    `${specifier.replace(/[^a-z0-9-]/gi, '_')}.${st.size}-${Math.trunc(st.mtimeMs)}.v8cache`,
  );
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first use */
  }
  const wrap = (Module as unknown as { wrap(s: string): string }).wrap;
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void)(
    mod.exports,
    createRequire(file),
    mod,
    file,
    dirname(file),
  );
  if (!cachedData || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      /* read-only install */
    }
  }
  return mod.exports;
}
