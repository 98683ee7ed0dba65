// A dir that is a layer of a mounted overlay (a lower, upper, work or data dir) must not change while
// the overlay is mounted: the kernel's overlayfs docs call the result undefined. The apt cache is one
// while a build has it attached; the tuner holds its lock then, and this check also covers the moment
// a tuner is gone and not yet started again, and every other tool's overlays.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isAtOrUnder, pathComponents } from '../fs/paths.js';
import { fsPlace } from './fs-place.js';
import type { MountEntry } from './mountinfo.js';
import { layerNames, layerPaths, overlayOptions } from './overlay-options.js';

/** A mount as seen from another namespace: its layers are named from that view's root. */
export type ViewedMount = MountEntry & { viewRoot?: string };

export interface LayerPlaces {
  /** Where the layers are, by our paths (as named, normalized, and resolved). */
  paths: string[];
  /** Relative layers found nowhere: their components, matched anywhere in a path. */
  unplaced: string[][];
}

const KEEP_MS = 1000;

/** Values kept for a second each, at most `max` of them (the oldest goes first). */
class Kept<T> {
  private readonly m = new Map<string, { at: number; value: T }>();
  constructor(private readonly max: number) {}
  get(key: string, f: () => T): T {
    const now = performance.now();
    const had = this.m.get(key);
    if (had && now - had.at < KEEP_MS) return had.value;
    const value = f();
    this.m.delete(key);
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value as string);
    this.m.set(key, { at: now, value });
    return value;
  }
}

// A host running containers has thousands of layers, many of them shared (Docker's `l/` links).
const placedOverlays = new Kept<LayerPlaces>(16_384);
const exists = new Kept<boolean>(65_536);
const realPrefixes = new Kept<string>(65_536);

/** The real path of `p`'s longest existing prefix, with the rest appended (a name whose end is gone). */
function realPrefix(p: string): string {
  return realPrefixes.get(p, () => {
    let rest = '';
    for (let q = p; ; q = dirname(q)) {
      try {
        return rest ? join(realpathSync.native(q), rest) : realpathSync.native(q);
      } catch {
        if (q === '/') return p;
        rest = rest ? join(basename(q), rest) : basename(q);
      }
    }
  });
}

/**
 * Where each layer of overlay `m` may be. mountinfo names a layer as the mounter gave it: through
 * symlinks, with "..", or relative to the directory it worked in (`cd dir && mount -t overlay ...
 * -o lowerdir=lower,... merged`; Docker's short `l/` links, relative to the dir above each layer).
 * A relative layer is looked for above the mount point and above the upper dir, one and two levels
 * up; one found nowhere is matched by its components anywhere. A name that led through a symlink
 * removed or re-pointed since the mount cannot be traced back.
 */
export function layerPlaces(m: ViewedMount): LayerPlaces {
  const root = m.viewRoot ?? '/';
  return placedOverlays.get(`${root}\0${m.mountPoint}\0${m.superOptions}`, () => {
    const ours = (l: string): string => (root === '/' ? resolve(l) : resolve(join(root, l)));
    const upper = layerPaths(overlayOptions(m.superOptions).get('upperdir') ?? '', false)[0];
    const above = (p: string): string[] => [dirname(p), dirname(dirname(p))];
    const bases = [...new Set([...above(m.mountPoint), ...(upper?.startsWith('/') ? above(ours(upper)) : [])])];
    const paths = new Set<string>();
    const unplaced: string[][] = [];
    for (const l of layerNames(m.superOptions)) {
      const at = l.startsWith('/')
        ? [ours(l)]
        : bases.map((b) => resolve(b, l)).filter((p) => exists.get(p, () => existsSync(p)));
      if (at.length === 0) unplaced.push(l.split('/').filter((c) => c !== '' && c !== '.' && c !== '..'));
      for (const p of at) paths.add(p).add(realPrefix(p));
    }
    return { paths: [...paths], unplaced: unplaced.filter((c) => c.length > 0) };
  });
}

/**
 * Every name `path`'s files have in our mounts (bind mounts show one dir at several places): `whole`
 * names the dir itself, `parts` mount points that show a dir inside it.
 */
function namesOf(path: string, mounts: readonly MountEntry[]): { whole: string[]; parts: string[] } {
  const whole = new Set([path]);
  const parts: string[] = [];
  const place = fsPlace(path, mounts);
  if (place)
    for (const e of mounts) {
      if (`${e.major}:${e.minor}` !== place.dev) continue;
      if (isAtOrUnder(place.fsPath, e.root)) {
        const rest = e.root === '/' ? place.fsPath : place.fsPath.slice(e.root.length);
        whole.add(e.mountPoint === '/' ? rest || '/' : `${e.mountPoint}${rest === '/' ? '' : rest}`);
      } else if (isAtOrUnder(e.root, place.fsPath)) parts.push(e.mountPoint);
    }
  return { whole: [...whole], parts };
}

/** `a` is `b` or lies below it; both normalized absolute paths (resolve, realpath and mountinfo give those). */
function under(a: string, b: string): boolean {
  return a === b || a.startsWith(b === '/' ? '/' : `${b}/`);
}

/** `comps` holds the components `seq` in a row (a relative layer found nowhere may be there). */
function holdsSeq(comps: readonly string[], seq: readonly string[]): boolean {
  for (let i = 0; i + seq.length <= comps.length; i++) if (seq.every((s, k) => comps[i + k] === s)) return true;
  return false;
}

/**
 * Why `path` must not change now (a layer of an overlay in `overlays` is at, under or around it, under
 * any of its names in `mounts`), or null.
 */
export function overlayLayerUse(
  overlays: readonly ViewedMount[],
  path: string,
  mounts: readonly MountEntry[] = overlays,
): string | null {
  let names: { whole: string[]; parts: string[]; comps: string[][] } | undefined;
  for (const m of overlays) {
    if (m.fsType !== 'overlay') continue;
    const { paths, unplaced } = layerPlaces(m);
    if (!names) {
      const n = namesOf(resolve(path), mounts);
      names = { ...n, comps: n.whole.map((w) => pathComponents(w) ?? []) };
    }
    const { whole, parts, comps } = names;
    const layer =
      paths.find((l) => whole.some((n) => under(l, n) || under(n, l)) || parts.some((n) => under(l, n))) ??
      unplaced.find((seq) => comps.some((c) => holdsSeq(c, seq)))?.join('/');
    if (layer)
      return `${layer} is a layer of the overlay mounted at ${m.mountPoint}, which must not change while it is mounted`;
  }
  return null;
}
