// The debootstrap root result cache, as the shim uses it. advise: key the call; on a hit whose
// tarball still has the sha256 that names it, unpack the root into the (fresh) target, journalled;
// otherwise the real debootstrap runs. store: after a successful real run, pack the target (in a
// journalled scratch dir), keep it content-addressed under the key, and evict to the cache's limit.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openJournal } from '../../src/host/guard/journal.js';
import { createScratch, removeJournalledScratch } from '../../src/host/delete/scratch-journal.js';
import { RootStore, type RootEntry, type RootLookup, type RootSpec } from '../../src/host/cache/root-store.js';
import { freshTarget, packRoot, unpackRoot, verifyTarball } from '../../src/host/cache/root-tarball.js';
import type { CacheBuildStats } from '../../src/learning/reducers.js';
import { parseDebootstrapArgs } from './debootstrap-args.js';
import { rootSpec } from './root-spec.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import { rootFromFarm, shareRoot, type RootFarm } from './root-farm.js';

export const ROOT_CACHE = 'debootstrap-roots';

export interface RootAdviseIn {
  runId: string | null;
  cwd: string;
  args: string[];
  toolVersion: string;
  debootstrapDir: string | null;
}

export interface RootCall {
  callId: string;
  runId: string | null;
  action: 'restored' | 'run';
  cacheable: boolean;
  key: string | null;
  target: string | null;
  reason: string;
  restoreMs: number | null;
  bytes: number | null;
  /** What the real tool took when this root was made. */
  madeInMs: number | null;
}

interface Pending {
  call: RootCall;
  spec: RootSpec;
}

export interface RootCacheDeps {
  store: RootStore;
  journalDir: string;
  scratchJournal: string | null;
  /** Null when the target may be written; the policy's refusal otherwise. */
  policy(target: string): Promise<{ code: string; reason: string } | null>;
  limitBytes(): Promise<number>;
  /** A farm member: a local miss asks the farm, a stored root is shared. */
  farm?: RootFarm | null;
}

export interface RootAdvice {
  call: RootCall;
  stats: CacheBuildStats | null;
  /** The farm lookup's outcome (farm-<cache>) or the decision not to ask. */
  events: LearningEvent[];
}

export class RootCache {
  private pending = new Map<string, Pending>();
  /** The last root being shared with the farm (in the background). */
  sharing: Promise<void> = Promise.resolve();
  constructor(private readonly d: RootCacheDeps) {}

  private lookup(l: Omit<RootLookup, 'at'>): void {
    this.d.store.recordLookup({ ...l, at: new Date().toISOString() });
  }

  async advise(i: RootAdviseIn): Promise<RootAdvice> {
    const call: RootCall = {
      callId: randomBytes(8).toString('hex'),
      runId: i.runId,
      action: 'run',
      cacheable: false,
      key: null,
      target: null,
      reason: '',
      restoreMs: null,
      bytes: null,
      madeInMs: null,
    };
    const parsed = parseDebootstrapArgs(i.args);
    if (!parsed.ok) return { call: { ...call, reason: `not cached: ${parsed.reason}` }, stats: null, events: [] };
    const s = await rootSpec(parsed.call, { cwd: i.cwd, toolVersion: i.toolVersion, debootstrapDir: i.debootstrapDir });
    if (!s.ok) return { call: { ...call, reason: `not cached: ${s.reason}` }, stats: null, events: [] };
    call.key = s.key;
    call.target = s.target;
    const base = { key: s.key, target: s.target, spec: s.spec, runId: i.runId } as const;
    const refusal = await this.d.policy(s.target);
    const fresh = refusal ? null : await freshTarget(s.target);
    if (refusal || (fresh && !fresh.ok)) {
      call.reason = `not cached: ${refusal ? `the path policy refuses ${s.target}: ${refusal.reason}` : (fresh as { reason: string }).reason}`;
      this.lookup({ ...base, outcome: 'uncacheable', reason: call.reason, nearest: null });
      return { call, stats: null, events: [] };
    }
    call.cacheable = true;
    let entry = this.d.store.entry(s.key);
    let why = 'no root stored for this spec';
    let events: LearningEvent[] = [];
    let from = 'the cache';
    for (let round = 0; round < 2; round++) {
      if (entry) {
        const bad = await verifyTarball(this.d.store.objectPath(entry), entry.sha256, entry.bytes);
        if (!bad) return { ...(await this.restore(entry, call, base, from)), events };
        await this.d.store.drop(entry);
        why = `the stored root (from ${from}) failed verification and was dropped: ${bad}`;
      }
      if (round > 0 || !this.d.farm) break;
      // A local miss: another host of the farm may have made this root.
      const f = await rootFromFarm(this.d.farm, this.d.store, s.key, s.spec);
      events = f.events;
      why = `${why}; ${f.note}`;
      entry = f.entry;
      from = 'the farm';
    }
    const nearest = this.d.store.nearest(s.spec);
    call.reason = nearest
      ? `${why}; nearest stored spec differs in ${nearest.differs.map((f) => f.field).join(', ')}`
      : `${why} (the cache is empty)`;
    this.lookup({ ...base, outcome: 'miss', reason: call.reason, nearest });
    this.pending.set(call.callId, { call, spec: s.spec });
    return { call, stats: null, events };
  }

  /** Unpacks a verified root into the (fresh) target, journalled: a hit. */
  private async restore(
    entry: RootEntry,
    call: RootCall,
    base: Omit<RootLookup, 'at' | 'outcome' | 'reason' | 'nearest'>,
    from: string,
  ): Promise<{ call: RootCall; stats: CacheBuildStats }> {
    const target = call.target!;
    const j = await openJournal(this.d.journalDir, target);
    const step = { id: `restore-root:${entry.key}`, object: entry.object, sha256: entry.sha256 };
    await j.begin(step);
    try {
      call.restoreMs = await unpackRoot(this.d.store.objectPath(entry), target);
      await j.done(step, { ms: call.restoreMs });
      await j.finish();
    } catch (e) {
      await j.fail(step, e);
      await j.close();
      throw e;
    }
    this.d.store.touch(entry);
    Object.assign(call, { action: 'restored', bytes: entry.bytes, madeInMs: entry.makeMs });
    call.reason = `root restored from ${from} (sha256 ${entry.sha256.slice(0, 12)}… verified)`;
    this.lookup({
      ...base,
      outcome: 'hit',
      reason: call.reason,
      nearest: null,
      restoreMs: call.restoreMs,
      bytes: entry.bytes,
    });
    return { call, stats: await this.stats({ hits: 1, bytesSaved: entry.bytes }) };
  }

  /** After the real debootstrap ran for a cacheable miss: pack and keep its root. */
  async store(
    callId: string,
    exitCode: number,
    wallMs: number,
  ): Promise<{
    stored: boolean;
    reason: string;
    key: string | null;
    sha256: string | null;
    bytes: number | null;
    packMs: number | null;
    evicted: string[];
    stats: CacheBuildStats | null;
  }> {
    const none = { key: null, sha256: null, bytes: null, packMs: null, evicted: [] as string[], stats: null };
    const p = this.pending.get(callId);
    if (!p) return { ...none, stored: false, reason: `no pending debootstrap call ${callId}` };
    this.pending.delete(callId);
    const { call, spec } = p;
    if (exitCode !== 0)
      return { ...none, key: call.key, stored: false, reason: `debootstrap exited ${exitCode}: nothing stored` };
    const tmp = join(this.d.store.dir, 'tmp');
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const scratch = createScratch(tmp, 'pack-', this.d.scratchJournal);
    let packed;
    try {
      packed = await packRoot(call.target!, join(scratch, 'root'));
      this.d.store.put(call.key!, spec, packed, wallMs);
    } finally {
      await removeJournalledScratch(scratch, this.d.scratchJournal);
    }
    const evicted = await this.evict(this.d.store.entry(call.key!)?.object);
    if (this.d.farm) this.sharing = shareRoot(this.d.farm, this.d.store, call.key!);
    return {
      stored: true,
      reason: `root packed (${packed.compression}) and kept under key ${call.key}`,
      key: call.key,
      sha256: packed.sha256,
      bytes: packed.bytes,
      packMs: packed.ms,
      evicted,
      stats: await this.stats({ misses: 1, bytesDownloaded: packed.bytes, evicted: evicted.length }),
    };
  }

  /** Evicts least recently used roots to the limit, each removal journalled. */
  async evict(keep?: string): Promise<string[]> {
    const limit = await this.d.limitBytes();
    const plan = this.d.store.planEvict(limit, new Set(keep ? [keep] : []));
    if (!plan.objects.length) return [];
    const j = await openJournal(this.d.journalDir, this.d.store.dir);
    const step = { id: `evict:${Date.now()}`, objects: plan.objects.map((o) => o.path), limitBytes: limit };
    await j.begin(step);
    const r = await this.d.store.remove(plan);
    await j.done(step, r);
    await j.finish();
    return r.removed;
  }

  private async stats(b: Partial<CacheBuildStats>): Promise<CacheBuildStats> {
    return {
      cache: ROOT_CACHE,
      hits: 0,
      misses: 0,
      bytesSaved: 0,
      bytesDownloaded: 0,
      evicted: 0,
      ...b,
      sizeBytes: this.d.store.sizeBytes(),
      limitBytes: await this.d.limitBytes(),
      tracking: 'lookup',
    };
  }
}
