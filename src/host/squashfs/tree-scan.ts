// One pass over a real tree: the files a sample is drawn from, the totals predictions scale to, and
// a signature that tells when the tree changed materially. Never follows symlinks and never enters
// another mount (a chroot under construction may still have /proc or /dev bound inside).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMountinfo } from '../mounts/mountinfo.js';

export interface ScannedFile {
  rel: string;
  size: number;
  ext: string;
}

export interface TreeScan {
  root: string;
  /** Regular files in the order mksquashfs reads them. */
  files: ScannedFile[];
  /** Bytes of regular files, each hardlinked inode counted once (as mksquashfs stores it). */
  totalBytes: number;
  dirs: number;
  symlinks: number;
  others: number;
  skippedMounts: string[];
}

export interface TreeSignature {
  files: number;
  bytes: number;
  dirs: number;
  /** Share of bytes per extension (top 16, the rest under "*"), rounded to 3 decimals. */
  ext: Record<string, number>;
}

/** Mount points as the kernel lists them. */
export function mountPoints(): Set<string> {
  try {
    return new Set(parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint));
  } catch {
    return new Set();
  }
}

/** Lower-cased extension; version suffixes of shared objects (libx.so.6.0) count as "so". */
export function extensionOf(name: string): string {
  if (/\.so(\.\d+)*$/.test(name)) return 'so';
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return '';
  const ext = name.slice(dot + 1).toLowerCase();
  return ext.length <= 10 && /^[a-z0-9_+-]+$/.test(ext) ? ext : '';
}

/** Walks `root` (synchronous syscalls, yielding to the event loop every few hundred entries). */
export async function scanTree(rootIn: string): Promise<TreeScan> {
  const root = resolve(rootIn);
  const rootStat = lstatSync(root);
  if (!rootStat.isDirectory()) throw new Error(`not a directory: ${root}`);
  const mounts = mountPoints();
  const scan: TreeScan = { root, files: [], totalBytes: 0, dirs: 0, symlinks: 0, others: 0, skippedMounts: [] };
  const seenInodes = new Set<string>();
  // Depth-first, names sorted, a directory's subtree before its later siblings: the order
  // mksquashfs reads files in, which decides which small files share a fragment block.
  const open = (relDir: string): { relDir: string; names: string[]; i: number } | null => {
    try {
      const names = readdirSync(join(root, relDir)).sort();
      scan.dirs++;
      return { relDir, names, i: 0 };
    } catch {
      return null; // unreadable directory: not part of what we can measure
    }
  };
  const stack = [open('')].filter((f) => f !== null);
  let sinceYield = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as { relDir: string; names: string[]; i: number };
    if (frame.i >= frame.names.length) {
      stack.pop();
      continue;
    }
    const name = frame.names[frame.i++] as string;
    const rel = frame.relDir ? `${frame.relDir}/${name}` : name;
    const abs = join(root, rel);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (st.dev !== rootStat.dev || mounts.has(abs)) scan.skippedMounts.push(abs);
      else {
        const child = open(rel);
        if (child) stack.push(child);
      }
    } else if (st.isFile()) {
      if (st.nlink > 1) {
        const id = `${st.dev}:${st.ino}`;
        if (seenInodes.has(id)) continue;
        seenInodes.add(id);
      }
      scan.files.push({ rel, size: st.size, ext: extensionOf(name) });
      scan.totalBytes += st.size;
    } else if (st.isSymbolicLink()) scan.symlinks++;
    else scan.others++;
    if (++sinceYield >= 512) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return scan;
}

export function treeSignature(scan: TreeScan): TreeSignature {
  const byExt = new Map<string, number>();
  for (const f of scan.files) byExt.set(f.ext || '(none)', (byExt.get(f.ext || '(none)') ?? 0) + f.size);
  const total = scan.totalBytes || 1;
  const sorted = [...byExt.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const ext: Record<string, number> = {};
  let rest = 0;
  sorted.forEach(([k, v], i) => {
    if (i < 16) ext[k] = Math.round((v / total) * 1000) / 1000;
    else rest += v;
  });
  if (rest > 0) ext['*'] = Math.round((rest / total) * 1000) / 1000;
  return { files: scan.files.length, bytes: scan.totalBytes, dirs: scan.dirs, ext };
}

/**
 * How different two trees are, 0 = identical: the largest of the relative change in file count,
 * in bytes, and half the L1 distance between the extension mixes (0..1).
 */
export function signatureDistance(a: TreeSignature, b: TreeSignature): number {
  const rel = (x: number, y: number) => (x === y ? 0 : Math.abs(x - y) / Math.max(x, y, 1));
  const keys = new Set([...Object.keys(a.ext), ...Object.keys(b.ext)]);
  let l1 = 0;
  for (const k of keys) l1 += Math.abs((a.ext[k] ?? 0) - (b.ext[k] ?? 0));
  return Math.max(rel(a.files, b.files), rel(a.bytes, b.bytes), l1 / 2);
}

/** Default: a tree is "similar" when files, bytes and extension mix each moved by at most 20 %. */
export function similarTree(a: TreeSignature, b: TreeSignature, tolerance = 0.2): boolean {
  return signatureDistance(a, b) <= tolerance;
}
