// A dir that is a layer of a mounted overlay (its lower, upper or work dir, as mountinfo's options
// name them) must not change while the overlay is mounted: the kernel's overlayfs docs call the
// result undefined. The apt cache is one while a build has it attached; the tuner holds its lock
// then, and this check also covers the moment a tuner is gone and not yet started again.
import { isAtOrUnder } from '../fs/paths.js';
import type { MountEntry } from './mountinfo.js';

/** An overlay's super options as key -> value (lowerdir, upperdir, workdir, ...). */
export function overlayOptions(superOptions: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of superOptions.split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** Whether `m` is an overlay mount on the upper dir `upper`. */
export function isOverlayOn(m: MountEntry, upper: string): boolean {
  return m.fsType === 'overlay' && overlayOptions(m.superOptions).get('upperdir') === upper;
}

/** The layer dirs of an overlay's super options (lowerdir may list several, ":"-separated). */
export function overlayLayers(superOptions: string): string[] {
  const o = overlayOptions(superOptions);
  const out = [...(o.get('lowerdir')?.split(':') ?? []), o.get('upperdir') ?? '', o.get('workdir') ?? ''];
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
