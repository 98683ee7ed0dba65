// The mount table, read from /proc/self/mountinfo (never from `mount` output) and matched by path
// component (never by string prefix or regex: /srv/chroot2 is not under /srv/chroot).
import { readFile } from 'node:fs/promises';
import { isAtOrUnder } from '../fs/paths.js';

export interface MountEntry {
  id: number;
  parentId: number;
  major: number;
  minor: number;
  /** The path inside the mounted file system that is visible here (not "/" for a bind of a subfolder). */
  root: string;
  /** Decoded absolute path, exactly as the kernel names it (relative to our root). */
  mountPoint: string;
  options: string;
  /** e.g. "shared:12", "master:3", "propagate_from:2", "unbindable". */
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash, any \ooo). */
export function decodeMountField(s: string): string {
  return s.replace(/\\([0-3][0-7]{2})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Encodes a field the way the kernel does (space, tab, newline and backslash as \ooo). */
export function encodeMountField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

function int(s: string | undefined, line: string): number {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isInteger(n)) throw new Error(`malformed mountinfo line: ${line}`);
  return n;
}

/**
 * Parses mountinfo text. A malformed line throws: skipping it could hide a mount and make a busy
 * tree look empty, which is the one mistake the unmounter must not make.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) throw new Error(`malformed mountinfo line: ${line}`);
    const [maj, min] = (f[2] ?? '').split(':');
    out.push({
      id: int(f[0], line),
      parentId: int(f[1], line),
      major: int(maj, line),
      minor: int(min, line),
      root: decodeMountField(f[3] ?? ''),
      mountPoint: decodeMountField(f[4] ?? ''),
      options: f[5] ?? '',
      optionalFields: f.slice(6, sep),
      fsType: decodeMountField(f[sep + 1] ?? ''),
      source: decodeMountField(f[sep + 2] ?? ''),
      superOptions: f.slice(sep + 3).join(' '),
    });
  }
  return out;
}

export async function readMountinfo(file = '/proc/self/mountinfo'): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(file, 'utf8'));
}

/** Mounts at or below `target` (the target itself included), in mountinfo order. */
export function mountsUnder(entries: readonly MountEntry[], target: string): MountEntry[] {
  return entries.filter((e) => isAtOrUnder(e.mountPoint, target));
}

/**
 * Orders mounts so that every mount comes before its parent (post-order over the id/parentId
 * tree). A mount stacked on another at the same path is that mount's child, so the top of a
 * stack comes first. Siblings go latest-mounted first, the way they were stacked up.
 */
export function unmountOrder(entries: readonly MountEntry[]): MountEntry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const children = new Map<number, MountEntry[]>();
  const roots: MountEntry[] = [];
  for (const e of entries) {
    if (e.parentId !== e.id && byId.has(e.parentId)) {
      const list = children.get(e.parentId) ?? [];
      list.push(e);
      children.set(e.parentId, list);
    } else {
      roots.push(e);
    }
  }
  const out: MountEntry[] = [];
  const seen = new Set<number>();
  const visit = (e: MountEntry): void => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    for (const c of [...(children.get(e.id) ?? [])].reverse()) visit(c);
    out.push(e);
  };
  for (const r of [...roots].reverse()) visit(r);
  // A cycle (impossible in a real table) must still not drop a mount from the plan.
  for (const e of [...entries].reverse()) visit(e);
  return out;
}

/**
 * Whether `umount <m.mountPoint>` would reach `m` itself: nothing is stacked on it, and no other
 * mount covers its path on the way down (a later mount over a parent folder, or a sibling at the
 * same spot). Unreachable mounts are left for a later pass instead of hitting the wrong one.
 */
export function isReachable(m: MountEntry, all: readonly MountEntry[]): boolean {
  const byId = new Map(all.map((e) => [e.id, e]));
  if (!byId.has(m.id)) return false;
  if (all.some((e) => e.parentId === m.id && e.mountPoint === m.mountPoint)) return false;
  let c = m;
  for (let depth = 0; depth < 4096; depth++) {
    const p = byId.get(c.parentId);
    if (!p || p.id === c.id) return true;
    const child = c;
    if (
      all.some(
        (x) => x.parentId === p.id && x.id !== child.id && x.id !== p.id && isAtOrUnder(child.mountPoint, x.mountPoint),
      )
    )
      return false;
    c = p;
  }
  return false;
}
