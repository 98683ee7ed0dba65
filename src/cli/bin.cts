#!/usr/bin/env node
// The `isoswarm` command. It loads one bundled file (CommonJS loads far faster than hundreds of ES
// modules): the lean hooks bundle for `isoswarm hooks` and `isoswarm guard`, the full CLI otherwise.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as FsT from 'node:fs';
import type * as VmT from 'node:vm';
import type * as ModuleT from 'node:module';
import type * as PathT from 'node:path';

const lean = process.argv[2] === 'hooks' || process.argv[2] === 'guard';
// `isoswarm memory list | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/**
 * Runs a bundle with a V8 code cache beside it (Node 20 has no module compile cache): compiling the
 * bundle is a large share of a hook call. The cache is written after a run that had none (it then
 * holds every function that run compiled); a stale or foreign cache is rejected by V8 and rewritten.
 */
function runBundle(file: string): void {
  const fs = require('node:fs') as typeof FsT;
  const vm = require('node:vm') as typeof VmT;
  const Module = require('node:module') as typeof ModuleT & {
    wrap(s: string): string;
    new (id: string, parent?: unknown): NodeJS.Module;
  };
  const path = require('node:path') as typeof PathT;
  const source = fs.readFileSync(file, 'utf8');
  // V8 checks the cache against the source only loosely: the bundle's size and time name the cache.
  const st = fs.statSync(file);
  const cacheFile = `${file}.${st.size}-${Math.trunc(st.mtimeMs)}.v8cache`;
  const useCache = process.env.ISOSWARM_CODE_CACHE !== '0'; // 0: measure without it (bench)
  let cachedData: Buffer | undefined;
  try {
    if (useCache) cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  // A script compiled from a code cache loses its dynamic-import callback (Node 20): the bundles call
  // this module's import() instead (see bundle-patch.mjs).
  (globalThis as Record<string, unknown>).__isoswarmImport = (spec: string) => import(spec);
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (useCache && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* a read-only install: run without the cache */
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  const fn = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void;
  fn(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

const bundle = require('node:path').join(__dirname, '..', '..', 'cli', lean ? 'hooks.cjs' : 'isoswarm.cjs') as string;
if (require('node:fs').existsSync(bundle)) runBundle(bundle);
// Not bundled (a plain `tsc` build): the ES modules do the same, only slower to start.
else void import(lean ? './hooks-main.js' : './main.js');
