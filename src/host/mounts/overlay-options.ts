// What an overlay's super options in mountinfo say about its layers. The kernel shows each layer as
// the mounter wrote it, with mountinfo's octal escapes on top (a space is \040, a comma \054, a
// backslash \134), so splitting on "," is safe first and each value is decoded after.
import { decodeMountField } from './mountinfo.js';

/** The options as key -> value (the last one of a key that repeats). */
export function overlayOptions(superOptions: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of superOptions.split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), decodeMountField(kv.slice(i + 1)));
  }
  return m;
}

/**
 * The paths in a lowerdir/upperdir/workdir value: "\" escapes the next character (the way to put ","
 * or ":" in a path), and in a list (lowerdir) an unescaped ":" separates two layers ("::" comes
 * before data-only layers).
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

/**
 * Every layer the options name, in order: lowerdir's list, each `lowerdir+` and `datadir+` (the new
 * mount API's one-layer-a-key form, shown as written, without escapes), upperdir and workdir.
 */
export function layerNames(superOptions: string): string[] {
  const out: string[] = [];
  for (const kv of superOptions.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const key = kv.slice(0, i);
    const value = decodeMountField(kv.slice(i + 1));
    if (key === 'lowerdir') out.push(...layerPaths(value, true));
    else if (key === 'upperdir' || key === 'workdir') out.push(...layerPaths(value, false));
    else if (key === 'lowerdir+' || key === 'datadir+') out.push(value);
  }
  return out.filter((l) => l !== '');
}

/** Whether `m` is an overlay mount on the upper dir `upper`. */
export function isOverlayOn(m: { fsType: string; superOptions: string }, upper: string): boolean {
  return m.fsType === 'overlay' && overlayOptions(m.superOptions).get('upperdir') === upper;
}
