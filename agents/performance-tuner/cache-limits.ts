// Each cache's size limit as its caching-effectiveness record decides it (src/learning/cache-limit.ts),
// within the configured bounds (caches.bounds, else a quarter to four times the configured limit).
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { decideLimit, type LimitDecision } from '../../src/learning/cache-limit.js';
import type { Config } from '../../src/schemas/config.js';

export const CACHE_NAMES = ['apt-archives', 'debootstrap-roots', 'debootstrap-tarballs'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

export function configuredLimit(config: Config, cache: string): number {
  const c = config.caches;
  if (cache === 'apt-archives') return c.aptLimitBytes;
  if (cache === 'debootstrap-tarballs') return c.debootstrapLimitBytes;
  return c.rootLimitBytes;
}

function diskOf(dir: string): { freeBytes: number; totalBytes: number } | null {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    const s = statfsSync(d);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

export async function cacheLimit(
  config: Config,
  cache: string,
  sizeBytes: number,
  dir: string,
  memory: { get(key: string): unknown },
): Promise<LimitDecision> {
  const configured = configuredLimit(config, cache);
  const b = config.caches.bounds[cache];
  const bounds = {
    configuredBytes: configured,
    minBytes: b?.minBytes ?? Math.floor(configured / 4),
    maxBytes: b?.maxBytes ?? configured * 4,
  };
  const rec = await Promise.resolve(memory.get(`optimization/caching-effectiveness/${cache}`)).catch(() => undefined);
  return decideLimit(rec, bounds, sizeBytes, diskOf(dir));
}
