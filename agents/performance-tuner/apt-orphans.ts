// Run-private overlay dirs a tuner left behind unmounted (it died between the unmount and the
// harvest, or the overlay was taken away while no tuner ran): their complete downloads are staged
// for the cache they came from, and the dirs go through the safe deleter. Found at a tuner's start,
// after the overlays still mounted were taken back.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { harvestDebs } from '../../src/host/cache/deb-harvest.js';
import { overlayDirs } from '../../src/host/cache/overlay.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { pendingDirFor, publishPending } from './apt-pending.js';
import type { AptCacheHold } from './apt-cache-hold.js';
import { readSessionFile } from './apt-session-file.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { overlayLayerUse } from '../../src/host/mounts/overlay-layers.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';

export interface OrphanSweep {
  /** Private dirs removed, with the packages staged from each. */
  removed: { dir: string; staged: number }[];
  failed: { dir: string; reason: string }[];
  /** The cache dirs packages were staged for. */
  caches: Set<string>;
}

/** Sweeps the private dirs in `overlayRoot` that no session has (`inUse`: their paths). */
export async function sweepOrphans(stateDir: string, overlayRoot: string, inUse: Set<string>): Promise<OrphanSweep> {
  const out: OrphanSweep = { removed: [], failed: [], caches: new Set() };
  let names: string[];
  try {
    names = readdirSync(overlayRoot);
  } catch {
    return out;
  }
  const mounts = await readMountinfo();
  for (const name of names) {
    const dir = join(overlayRoot, name);
    if (inUse.has(dir)) continue;
    // A dir holding a layer of a mounted overlay (or inside one) is in use, whoever mounted it.
    const layer = overlayLayerUse(mounts, dir);
    if (layer) {
      out.failed.push({ dir, reason: `${layer}: left alone` });
      continue;
    }
    const f = readSessionFile(dir);
    let staged = 0;
    if (typeof f !== 'string') {
      const dirs = overlayDirs(f.cacheDir, dir);
      const h = await harvestDebs([dirs.harvest, dirs.upper], f.cacheDir, null, pendingDirFor(stateDir, f.cacheDir));
      staged = h.harvested.length;
      if (staged) out.caches.add(f.cacheDir);
    }
    // The safe deleter refuses too while anything is mounted there or a mounted overlay has a layer in it.
    const del = await deleteTree(dir, { countBytes: false });
    if (del.complete) out.removed.push({ dir, staged });
    else out.failed.push({ dir, reason: del.refused ?? del.errors[0]?.message ?? 'incomplete' });
  }
  return out;
}

/** Moves what is staged for `cache` into it while holding its lock (no cleanup works on it meanwhile). */
export async function publishHeld(hold: AptCacheHold, pendingDir: string, cache: string): Promise<void> {
  if (!(await hold.take(cache))) return;
  try {
    publishPending(pendingDir, cache);
  } finally {
    await hold.release();
  }
}

/** `sweepOrphans`, logged; `publish` is given each cache dir packages were staged for. */
export async function sweepLeftBehind(
  stateDir: string,
  overlayRoot: string,
  inUse: Set<string>,
  log: AgentContext['log'],
  publish: (cache: string) => Promise<void>,
): Promise<void> {
  const swept = await sweepOrphans(stateDir, overlayRoot, inUse);
  if (swept.removed.length)
    log.info({ removed: swept.removed }, 'removed apt overlay dirs left unmounted by an earlier tuner');
  for (const f of swept.failed) log.warn(f, 'an apt overlay dir left behind could not be removed');
  for (const cache of swept.caches) await publish(cache);
}
