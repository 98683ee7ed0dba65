// A dir that is a layer of a mounted overlay (its lower, upper or work dir, as mountinfo's options
// name them) must not change while the overlay is mounted: the kernel's overlayfs docs call the
// result undefined. The apt cache is one while a build has it attached; the tuner holds its lock
// then, and this check also covers the moment a tuner is gone and not yet started again.
import { isAtOrUnder } from '../fs/paths.js';
import type { MountEntry } from './mountinfo.js';

/** The layer dirs of an overlay's super options (lowerdir may list several, ":"-separated). */
export function overlayLayers(superOptions: string): string[] {
  const out: string[] = [];
  for (const kv of superOptions.split(',')) {
    const i = kv.indexOf('=');
    const key = kv.slice(0, i);
    if (key === 'lowerdir') out.push(...kv.slice(i + 1).split(':'));
    else if (key === 'upperdir' || key === 'workdir') out.push(kv.slice(i + 1));
  }
  return out.filter((p) => p.startsWith('/'));
}

/** Why `path` must not change now (a layer of a mounted overlay is at, under or around it), or null. */
export function overlayLayerUse(mounts: readonly MountEntry[], path: string): string | null {
  for (const m of mounts) {
    if (m.fsType !== 'overlay') continue;
    const layer = overlayLayers(m.superOptions).find((l) => isAtOrUnder(l, path) || isAtOrUnder(path, l));
    if (layer)
      return `${layer} is a layer of the overlay mounted at ${m.mountPoint}, which must not change while it is mounted`;
  }
  return null;
}
