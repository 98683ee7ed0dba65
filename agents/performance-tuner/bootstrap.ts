// `isoswarm bootstrap`: debootstrap through the tarball cache. A base system for one suite, arch,
// variant, mirror and package set is fetched once (`--make-tarball`) and unpacked from the cache
// (`--unpack-tarball`, no download) by every later build with the same spec.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeScratchDir } from '../../src/host/delete/scratch.js';
import { run } from '../../src/host/exec.js';
import type { CacheBuildStats } from '../../src/learning/reducers.js';
import { TarballCache, type TarballSpec } from './tarball-cache.js';

export interface BootstrapResult {
  target: string;
  spec: TarballSpec;
  cache: 'hit' | 'miss';
  tarball: string;
  makeMs: number | null;
  unpackMs: number;
  stats: CacheBuildStats;
}

function args(spec: TarballSpec): string[] {
  return [
    `--arch=${spec.arch}`,
    ...(spec.variant ? [`--variant=${spec.variant}`] : []),
    ...(spec.include?.length ? [`--include=${spec.include.join(',')}`] : []),
  ];
}

async function debootstrap(extra: string[], spec: TarballSpec, dir: string): Promise<number> {
  const r = await run('debootstrap', [...extra, ...args(spec), spec.suite, dir, spec.mirror], { timeout: 60 * 60_000 });
  if (r.exitCode !== 0)
    throw new Error(
      `debootstrap ${extra[0]} failed (${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r.durationMs;
}

/** `target` has already passed the path policy. */
export async function bootstrapThroughCache(
  cacheDir: string,
  limitBytes: number,
  spec: TarballSpec,
  target: string,
): Promise<BootstrapResult> {
  const cache = new TarballCache(cacheDir, limitBytes);
  let tarball = cache.lookup(spec);
  let makeMs: number | null = null;
  const hit = tarball !== null;
  if (!tarball) {
    // The tarball is made in a scratch dir beside the target, then kept in the cache.
    mkdirSync(dirname(target), { recursive: true });
    const scratch = mkdtempSync(join(dirname(target), '.isoswarm-bootstrap-'));
    try {
      const tgz = join(scratch, 'base.tgz');
      makeMs = await debootstrap([`--make-tarball=${tgz}`], spec, join(scratch, 'root'));
      tarball = await cache.store(spec, tgz);
    } finally {
      await removeScratchDir(scratch);
    }
  }
  const unpackMs = await debootstrap([`--unpack-tarball=${tarball}`], spec, target);
  return { target, spec, cache: hit ? 'hit' : 'miss', tarball, makeMs, unpackMs, stats: cache.stats() };
}
