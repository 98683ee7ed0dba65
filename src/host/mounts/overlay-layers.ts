// A dir that is a layer of a mounted overlay (its lower, upper or work dir, as mountinfo's options
// name them) must not change while the overlay is mounted: the kernel's overlayfs docs call the
// result undefined. The apt cache is one while a build has it attached; the tuner holds its lock
// then, and this check also covers the moment a tuner is gone and not yet started again.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAtOrUnder } from '../fs/paths.js';
import { realOr } from '../fs/real-path.js';
import { decodeMountField, type MountEntry } from './mountinfo.js';

/**
 * An overlay's super options as key -> value, with mountinfo's octal escapes decoded (a space is
 * \040, and a comma inside a value \054, so splitting on "," is safe first).
 */
export function overlayOptions(superOptions: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of superOptions.split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), decodeMountField(kv.slice(i + 1)));
  }
  return m;
}

/**
 * The paths in one option's value as the mounter wrote them: "\" escapes the next character (the
 * way to put "," or ":" in a path), and in a list (lowerdir) an unescaped ":" separates two layers.
 */
export function layerPaths(value: string, list: boolean): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\' && i + 1 < value.length) cur += value[++i];
    else if (list && c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Whether `m` is an overlay mount on the upper dir `upper`. */
export function isOverlayOn(m: MountEntry, upper: string): boolean {
  return m.fsType === 'overlay' && overlayOptions(m.superOptions).get('upperdir') === upper;
}

/**
 * Where each layer of overlay `m` may be. mountinfo names a layer as the mounter gave it: through
 * symlinks, or relative to the directory it worked in (`cd dir && mount -t overlay ... -o
 * lowerdir=lower,... merged`; Docker's short `l/` links, relative to the dir above each layer). A
 * relative layer is placed against the dirs that mounter likely worked in: above the mount point and
 * above the upper dir, one and two levels up; each place found, and its real path, counts. Wrong
 * guesses only make the checks refuse more.
 */
export function layerPlaces(m: MountEntry): string[] {
  // A host running containers has hundreds of layers: placed once a second at most per overlay.
  const key = `${m.id}\0${m.mountPoint}\0${m.superOptions}`;
  const now = Date.now();
  const had = placed.get(key);
  if (had && now - had.at < PLACED_MS) return had.places;
  const places = placeLayers(m);
  if (placed.size >= PLACED_MAX) placed.clear();
  placed.set(key, { at: now, places });
  return places;
}

const PLACED_MS = 1000;
const PLACED_MAX = 4096;
const placed = new Map<string, { at: number; places: string[] }>();

function placeLayers(m: MountEntry): string[] {
  const o = overlayOptions(m.superOptions);
  // lowerdir may list several ("::" before data-only layers).
  const named = [
    ...layerPaths(o.get('lowerdir') ?? '', true),
    ...layerPaths(o.get('upperdir') ?? '', false),
    ...layerPaths(o.get('workdir') ?? '', false),
  ];
  const upper = layerPaths(o.get('upperdir') ?? '', false)[0];
  const above = (p: string): string[] => [dirname(p), dirname(dirname(p))];
  const bases = [...new Set([...above(m.mountPoint), ...(upper?.startsWith('/') ? above(upper) : [])])];
  const out = new Set<string>();
  for (const l of named) {
    if (l === '') continue;
    const at = l.startsWith('/') ? [l] : bases.map((b) => join(b, l)).filter((p) => existsSync(p));
    if (at.length === 0) out.add(join(dirname(m.mountPoint), l)); // kept so that one cannot be made there
    for (const p of at) out.add(p).add(realOr(p));
  }
  return [...out];
}

/** Why `path` must not change now (a layer of a mounted overlay is at, under or around it), or null. */
export function overlayLayerUse(mounts: readonly MountEntry[], path: string): string | null {
  for (const m of mounts) {
    if (m.fsType !== 'overlay') continue;
    const layer = layerPlaces(m).find((l) => isAtOrUnder(l, path) || isAtOrUnder(path, l));
    if (layer)
      return `${layer} is a layer of the overlay mounted at ${m.mountPoint}, which must not change while it is mounted`;
  }
  return null;
}
