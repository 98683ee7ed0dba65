// "Never delete after a lazy detach", across runs. The Unmounter writes a marker per target (in its
// journal dir) before it lazily detaches anything, naming the mounts that go with it (by mount id,
// with source and root for the report). The Cleaner refuses every tree overlapping a marked target
// while a live process still references one of those detached mounts; once none does, the
// detached mounts are gone for good, the marker is removed and deletion may proceed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { holdersOfMountIds, type DetachedHolder } from './detached-holders.js';
import { readMountinfo, type MountEntry } from './mountinfo.js';
import { isAtOrUnder } from '../fs/paths.js';

export interface DetachedMount {
  id: number;
  mountPoint: string;
  fsType: string;
  source: string;
  root: string;
}

export interface LazyMarker {
  v: 1;
  target: string;
  recordedAt: string;
  mounts: DetachedMount[];
}

const SUFFIX = '.lazy-detach.json';

export function lazyMarkerFile(dir: string, target: string): string {
  return join(dir, `${createHash('sha256').update(target).digest('hex').slice(0, 32)}${SUFFIX}`);
}

async function readMarker(file: string): Promise<LazyMarker | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = JSON.parse(text) as LazyMarker;
  if (
    m?.v !== 1 ||
    typeof m.target !== 'string' ||
    !Array.isArray(m.mounts) ||
    !m.mounts.every((x) => Number.isInteger(x?.id))
  )
    throw new Error(`malformed lazy-detach marker ${file}`);
  return m;
}

/** Adds the mounts about to be detached to the target's marker (written and synced before returning). */
export async function recordLazyDetach(dir: string, target: string, mounts: readonly MountEntry[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = lazyMarkerFile(dir, target);
  const old = await readMarker(file).catch(() => null);
  const byId = new Map((old?.mounts ?? []).map((m) => [m.id, m]));
  for (const m of mounts)
    byId.set(m.id, { id: m.id, mountPoint: m.mountPoint, fsType: m.fsType, source: m.source, root: m.root });
  const marker: LazyMarker = { v: 1, target, recordedAt: new Date().toISOString(), mounts: [...byId.values()] };
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const h = await open(tmp, 'wx', 0o600);
  try {
    await h.writeFile(JSON.stringify(marker, null, 1));
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, file);
  const d = await open(dir, 'r');
  await d.sync().finally(() => d.close());
}

export interface LazyBlock {
  marker: LazyMarker;
  file: string;
  /** Detached mounts (still alive) and who keeps them alive. */
  held: { mount: DetachedMount; holders: DetachedHolder[] }[];
  reason: string;
}

function describe(b: Omit<LazyBlock, 'reason'>): string {
  const held = b.held.map(
    ({ mount: m, holders }) =>
      `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source}${m.root !== '/' ? ` root ${m.root}` : ''}, mount id ${m.id}) held by ${holders.map((h) => `pid ${h.pid} (${h.comm}: ${h.uses.slice(0, 3).join(', ')})`).join('; ')}`,
  );
  return `${b.marker.target} was lazily detached at ${b.marker.recordedAt} and the detached mounts are still in use: ${held.join('; ')}; nothing is deleted until they are gone`;
}

export interface LazyCleared {
  target: string;
  file: string;
  /** Processes root may not inspect (ptrace-protected): not known to hold the mounts, not waited for. */
  unreadable: { pid: number; error: string }[];
}

/**
 * The markers whose target overlaps `path` (at, above or below it) and whose detached mounts are
 * still referenced by a live process. A marker none of whose mounts is held any more is removed
 * (reported through `onCleared`). A process that cannot be inspected at all (EACCES as root: a
 * ptrace-protected process such as a container runtime's) does not keep a marker: waiting for it
 * would refuse the tree forever; it is named in `onCleared` instead. `readOnly` (a plan) removes nothing.
 */
export async function lazyDetachBlocks(
  dir: string,
  path: string,
  onCleared?: (c: LazyCleared) => void,
  opts: { readOnly?: boolean } = {},
): Promise<LazyBlock[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(SUFFIX));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LazyBlock[] = [];
  for (const n of names.sort()) {
    const file = join(dir, n);
    const marker = await readMarker(file).catch((e: Error) => e);
    if (marker instanceof Error) {
      // Unreadable: whatever it said, it said "do not delete" for some tree; keep saying it.
      out.push({
        marker: { v: 1, target: '?', recordedAt: '?', mounts: [] },
        file,
        held: [],
        reason: `${marker.message}: remove it by hand once the detached mounts are gone`,
      });
      continue;
    }
    if (marker === null || !(isAtOrUnder(path, marker.target) || isAtOrUnder(marker.target, path))) continue;
    // An id in our mount table now is attached (the lazy detach failed: `mounted` refuses it) or
    // was reused by a new mount: either way not a detached mount.
    const attached = new Set((await readMountinfo()).map((m) => m.id));
    const ids = new Set(marker.mounts.map((m) => m.id).filter((id) => !attached.has(id)));
    const scan = await holdersOfMountIds(ids);
    const held = marker.mounts
      .filter((m) => ids.has(m.id))
      .map((mount) => ({ mount, holders: scan.holders.filter((h) => h.mountId === mount.id) }))
      .filter((h) => h.holders.length > 0);
    if (held.length === 0) {
      // A plan (--dry-run) changes nothing: the marker is only reported as clearable.
      if (opts.readOnly) continue;
      await unlink(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
      onCleared?.({ target: marker.target, file, unreadable: scan.unreadable });
      continue;
    }
    out.push({ marker, file, held, reason: describe({ marker, file, held }) });
  }
  return out;
}
