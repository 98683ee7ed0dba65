// The root result cache on disk: content-addressed tarballs (objects/<sha256>.tar.zst), one entry per
// spec key (keys/<key>.json: the spec, the object, its size) and the last lookup per key
// (lookups/<key>.json: hit or miss, and why), which `isoswarm cache why` reads. Files leave the
// cache only the way the Cleaner removes planned files (reached again, still the same inode).
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileDurable } from '../fs/durable-write.js';
import { listCache, markUsed } from './cache-dir.js';
import { pickLru, removePlannedFiles, type FileCandidate } from './cache-evict.js';

export type RootSpec = Record<string, string | string[] | boolean | null>;

export interface RootEntry {
  key: string;
  spec: RootSpec;
  object: string;
  sha256: string;
  bytes: number;
  createdAt: string;
  /** What the real tool took to make this root, and packing it. */
  makeMs: number | null;
  packMs: number;
}

export interface FieldDiff {
  field: string;
  stored: unknown;
  now: unknown;
}

export interface RootLookup {
  key: string;
  at: string;
  target: string;
  runId?: string | null;
  outcome: 'hit' | 'miss' | 'uncacheable';
  reason: string;
  spec: RootSpec | null;
  /** On a miss: the stored entry nearest to this spec, and the fields that differ. */
  nearest: { key: string; differs: FieldDiff[] } | null;
  restoreMs?: number;
  bytes?: number;
}

const KEY = /^[0-9a-f]{16,64}$/;
const runFile = (runId: string) => runId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200);
export const isRootObject = (n: string) => /^[0-9a-f]{64}\.tar\.(zst|gz)$/.test(n);

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export class RootStore {
  constructor(readonly dir: string) {}

  private sub(name: 'objects' | 'keys' | 'lookups' | 'runs'): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    return d;
  }

  objectPath(e: Pick<RootEntry, 'object'>): string {
    return join(this.dir, 'objects', e.object);
  }

  entry(key: string): RootEntry | null {
    return KEY.test(key) ? readJson<RootEntry>(join(this.dir, 'keys', `${key}.json`)) : null;
  }

  entries(): RootEntry[] {
    let names: string[] = [];
    try {
      names = readdirSync(join(this.dir, 'keys'));
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => readJson<RootEntry>(join(this.dir, 'keys', n)))
      .filter((e): e is RootEntry => !!e && typeof e.key === 'string' && typeof e.object === 'string');
  }

  lookup(key: string): RootLookup | null {
    return KEY.test(key) ? readJson<RootLookup>(join(this.dir, 'lookups', `${key}.json`)) : null;
  }

  lookups(): RootLookup[] {
    let names: string[] = [];
    try {
      names = readdirSync(join(this.dir, 'lookups'));
    } catch {
      return [];
    }
    return names
      .map((n) => readJson<RootLookup>(join(this.dir, 'lookups', n)))
      .filter((l): l is RootLookup => !!l && typeof l.key === 'string');
  }

  /** The last lookup per key, and every lookup of a run in the run's own log (for its report). */
  recordLookup(l: RootLookup): void {
    if (!KEY.test(l.key)) return;
    writeFileDurable(join(this.sub('lookups'), `${l.key}.json`), JSON.stringify(l), 0o644);
    if (l.runId) appendFileSync(join(this.sub('runs'), `${runFile(l.runId)}.jsonl`), `${JSON.stringify(l)}\n`);
  }

  runLookups(runId: string): RootLookup[] {
    let text = '';
    try {
      text = readFileSync(join(this.dir, 'runs', `${runFile(runId)}.jsonl`), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as RootLookup];
        } catch {
          return [];
        }
      });
  }

  /** The stored entry with the fewest differing fields, and those fields. */
  nearest(spec: RootSpec): { key: string; differs: FieldDiff[] } | null {
    let best: { key: string; differs: FieldDiff[] } | null = null;
    for (const e of this.entries()) {
      const differs = specDiff(e.spec, spec);
      if (!best || differs.length < best.differs.length) best = { key: e.key, differs };
    }
    return best;
  }

  /** Marks a hit's object used (LRU order). */
  touch(e: RootEntry): void {
    markUsed(join(this.dir, 'objects'), e.object);
  }

  /** Moves a packed tarball into the store under its sha256 and writes the key's entry. */
  put(
    key: string,
    spec: RootSpec,
    packed: { file: string; sha256: string; bytes: number; ms: number },
    makeMs: number | null,
  ): RootEntry {
    const objects = this.sub('objects');
    const object = `${packed.sha256}${basename(packed.file).slice(basename(packed.file).indexOf('.tar.'))}`;
    const dest = join(objects, object);
    const part = join(objects, `.${object}.part`);
    if (statSync(packed.file).dev === statSync(objects).dev) renameSync(packed.file, part);
    else copyFileSync(packed.file, part);
    renameSync(part, dest);
    markUsed(objects, object);
    const e: RootEntry = {
      key,
      spec,
      object,
      sha256: packed.sha256,
      bytes: packed.bytes,
      createdAt: new Date().toISOString(),
      makeMs,
      packMs: packed.ms,
    };
    writeFileDurable(join(this.sub('keys'), `${key}.json`), JSON.stringify(e), 0o644);
    return e;
  }

  sizeBytes(): number {
    return listCache(join(this.dir, 'objects'), isRootObject).reduce((n, f) => n + f.size, 0);
  }

  /**
   * The eviction plan to `limitBytes`: least recently used objects first (`keep` objects stay), and
   * the key entries that name them.
   */
  planEvict(
    limitBytes: number,
    keep: ReadonlySet<string> = new Set(),
  ): { objects: FileCandidate[]; keys: FileCandidate[]; afterBytes: number } {
    const objDir = join(this.dir, 'objects');
    const files = listCache(objDir, isRootObject).map((f) => ({
      path: join(objDir, f.name),
      bytes: f.size,
      fileId: f.fileId,
      lastUseMs: f.lastUsedMs,
    }));
    const pick = pickLru(files, limitBytes, (f) => keep.has(basename(f.path)));
    return {
      objects: pick.evict,
      keys: this.keyFilesFor(pick.evict.map((f) => basename(f.path))),
      afterBytes: pick.afterBytes,
    };
  }

  /** Key entry files naming any of `objects`, as removal candidates. */
  keyFilesFor(objects: readonly string[]): FileCandidate[] {
    const names = new Set(objects);
    const keyDir = join(this.dir, 'keys');
    const byName = new Map(listCache(keyDir).map((f) => [f.name, f]));
    return this.entries()
      .filter((e) => names.has(e.object))
      .map((e) => byName.get(`${e.key}.json`))
      .filter((f): f is NonNullable<typeof f> => !!f)
      .map((f) => ({ path: join(keyDir, f.name), bytes: f.size, fileId: f.fileId, lastUseMs: f.lastUsedMs }));
  }

  /** Removes planned objects and their key entries (entries first: a key never names a missing object). */
  async remove(plan: {
    objects: FileCandidate[];
    keys: FileCandidate[];
  }): Promise<{ removed: string[]; bytes: number; skipped: { path: string; reason: string }[] }> {
    const k = await removePlannedFiles(join(this.dir, 'keys'), plan.keys);
    const o = await removePlannedFiles(join(this.dir, 'objects'), plan.objects);
    const stayed = new Set([...o.skipped, ...o.errors].map((s) => s.path));
    return {
      removed: plan.objects.filter((f) => !stayed.has(f.path)).map((f) => basename(f.path)),
      bytes: o.bytes,
      skipped: [...k.skipped, ...o.skipped, ...o.errors.map((e) => ({ path: e.path, reason: e.message }))],
    };
  }

  /** A corrupt or missing object: its key entry (and the object, when present) go. */
  async drop(e: RootEntry): Promise<void> {
    const objects = listCache(join(this.dir, 'objects'), (n) => n === e.object).map((f) => ({
      path: join(this.dir, 'objects', f.name),
      bytes: f.size,
      fileId: f.fileId,
      lastUseMs: f.lastUsedMs,
    }));
    await this.remove({ objects, keys: this.keyFilesFor([e.object]) });
  }
}

/** Fields whose values differ between a stored spec and this one (arrays compared as given). */
export function specDiff(stored: RootSpec, now: RootSpec): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const field of [...new Set([...Object.keys(stored), ...Object.keys(now)])].sort()) {
    const a = stored[field] ?? null;
    const b = now[field] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field, stored: a, now: b });
  }
  return out;
}
