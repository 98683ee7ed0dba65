// Unmounts everything under a target, children first, non-lazily, to a fixed point. Each mount is
// unmounted by its exact mountinfo path without following symlinks; foreign mounts are left alone.
import { lstat } from 'node:fs/promises';
import { run } from '../exec.js';
import { classifyMounts, type ForeignMount } from './foreign-mounts.js';
import { type LogLike, silentLog } from '../log-like.js';
import { listLoopDevices } from './loop-devices.js';
import { isReachable, type MountEntry, readMountinfo, unmountOrder } from './mountinfo.js';
import { pathComponents } from '../fs/paths.js';
import { assertTeardownTarget } from '../guard/path-policy.js';

export type Strategy = 'umount' | 'umount-after-settle' | 'lazy';

export interface UnmountAttempt {
  mountPoint: string;
  fsType: string;
  source: string;
  strategy: Strategy;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface UnmountOptions {
  /** Strategies to try per file system type, best first (learned ones come from memory). */
  strategyOrder?: (fsType: string, source: string) => Strategy[];
  /** Lazy detach is used only if allowed, only after plain passes stopped making progress. */
  allowLazy?: boolean;
  onAttempt?: (a: UnmountAttempt) => void;
  /**
   * Called right before a lazy detach with the mount and everything below it (all of it goes with
   * it) so that the caller can record it; if it throws, that mount is not lazily detached.
   */
  beforeLazy?: (detaching: MountEntry[]) => Promise<void>;
  settleMs?: number;
  maxPasses?: number;
  log?: LogLike;
}

export interface UnmountResult {
  ok: boolean;
  passes: number;
  attempts: UnmountAttempt[];
  /** Everything still mounted under the target afterwards (foreign mounts included). */
  remaining: MountEntry[];
  foreign: ForeignMount[];
  /** Mount points whose propagation was made private so that unmounting them cannot reach a peer. */
  privatized: string[];
  usedLazy: boolean;
}

export const defaultStrategyOrder = (): Strategy[] => ['umount', 'umount-after-settle', 'lazy'];

/** Refuses (throws) if any component of the path below `/` is a symlink or cannot be examined. */
export async function assertNoSymlinks(path: string): Promise<void> {
  const parts = pathComponents(path);
  if (parts === null) throw new Error(`refusing a non-canonical mount path: ${JSON.stringify(path)}`);
  let p = '';
  for (const c of parts) {
    p += `/${c}`;
    const st = await lstat(p);
    if (st.isSymbolicLink()) throw new Error(`refusing ${path}: ${p} is a symlink`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const GONE = 'no longer mounted';
const COVERED = 'covered by another mount';

/**
 * `umount P` and `mount --make-private P` act on whatever mount P reaches. Checked against a fresh
 * table right before acting, so a mount stacked or shadowing it (maybe a foreign one) is never hit.
 */
async function isTopAt(m: MountEntry): Promise<string | null> {
  const now = await readMountinfo();
  if (!now.some((e) => e.id === m.id)) return GONE;
  if (!isReachable(m, now)) return COVERED;
  try {
    await assertNoSymlinks(m.mountPoint);
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** null on success, GONE if it vanished meanwhile, else the reason it failed or was refused. */
async function umount(m: MountEntry, strategy: Strategy, settleMs: number): Promise<string | null> {
  let unsafe = await isTopAt(m);
  if (unsafe !== null) return unsafe;
  if (strategy === 'umount-after-settle') {
    // Processes killed a moment ago may still be releasing files; let them finish and flush.
    await run('sync', ['--file-system', '--', m.mountPoint], { timeout: 30_000 });
    await sleep(settleMs);
    unsafe = await isTopAt(m);
    if (unsafe !== null) return unsafe;
  }
  const args = strategy === 'lazy' ? ['--lazy'] : [];
  const r = await run('umount', [...args, '--no-canonicalize', '--', m.mountPoint], { timeout: 60_000 });
  return r.exitCode === 0 ? null : r.stderr.trim() || `umount exited ${r.exitCode}`;
}

/**
 * Unmounts exactly mount `m`, never lazily, with the same checks as a teardown: still in the table,
 * on top at its exact mountinfo path (nothing stacked on it or over an ancestor), no symlink on
 * that path, and `umount --no-canonicalize` by that path. null on success, else why not.
 */
export async function unmountExact(m: MountEntry): Promise<string | null> {
  return umount(m, 'umount', 0);
}

/** Shared mounts under the target become private first: an unmount under a shared parent would
 * otherwise propagate to its peers outside the target (e.g. the host's /dev/pts). */
async function privatize(ours: readonly MountEntry[], done: string[], log: LogLike): Promise<void> {
  for (const m of ours) {
    if (!m.optionalFields.some((f) => f.startsWith('shared:'))) continue;
    if ((await isTopAt(m)) !== null) continue; // the unmount attempt will refuse it and record why
    const r = await run('mount', ['--make-private', '--no-canonicalize', '--', m.mountPoint], { timeout: 30_000 });
    if (r.exitCode === 0) done.push(m.mountPoint);
    else log.warn({ mountPoint: m.mountPoint, error: r.stderr.trim() }, 'could not make mount private');
  }
}

/** Unmounts all non-foreign mounts at or under `realTarget`; re-reads mountinfo after every pass. */
export async function unmountAllUnder(realTarget: string, opts: UnmountOptions = {}): Promise<UnmountResult> {
  assertTeardownTarget(realTarget);
  const order = opts.strategyOrder ?? defaultStrategyOrder;
  const settleMs = opts.settleMs ?? 200;
  const maxPasses = opts.maxPasses ?? 64;
  const log = opts.log ?? silentLog;
  const attempts: UnmountAttempt[] = [];
  const privatized: string[] = [];
  let usedLazy = false;
  let passes = 0;

  const snapshot = async (): Promise<{ all: MountEntry[]; ours: MountEntry[]; foreign: ForeignMount[] }> => {
    const all = await readMountinfo();
    return { all, ...classifyMounts(all, realTarget, await listLoopDevices()) };
  };
  /** 'ok' unmounted; 'skip' gone meanwhile or covered (retried next pass, nothing to learn); 'fail'. */
  const attempt = async (m: MountEntry, strategy: Strategy): Promise<'ok' | 'skip' | 'fail'> => {
    const started = performance.now();
    const error = await umount(m, strategy, settleMs);
    if (error === GONE || error === COVERED) return 'skip';
    const a: UnmountAttempt = {
      mountPoint: m.mountPoint,
      fsType: m.fsType,
      source: m.source,
      strategy,
      ok: error === null,
      ms: Math.round(performance.now() - started),
    };
    if (error !== null) a.error = error;
    attempts.push(a);
    opts.onAttempt?.(a);
    log.info({ ...a }, `${strategy} ${m.mountPoint}: ${error === null ? 'ok' : error}`);
    return error === null ? 'ok' : 'fail';
  };
  /** Runs one pass over the current table; returns whether any mount went away. */
  const pass = async (lazy: boolean): Promise<boolean> => {
    passes++;
    const before = await snapshot();
    await privatize(before.ours, privatized, log);
    const foreignIds = new Set(before.foreign.map((f) => f.mount.id));
    for (const m of unmountOrder(before.ours)) {
      // A lazy detach takes the whole subtree, so never on a mount with a foreign mount below it.
      if (lazy && hasForeignBelow(m, before.all, foreignIds)) continue;
      let strategies = order(m.fsType, m.source).filter((s) => (lazy ? s === 'lazy' : s !== 'lazy'));
      if (!lazy && strategies.length === 0) strategies = ['umount']; // a learned order never rules out the plain one
      for (const s of strategies) {
        if (s === 'lazy' && opts.beforeLazy) {
          const unrecorded = await opts.beforeLazy([m, ...descendants(m, before.all)]).then(
            () => null,
            (e: unknown) => String(e),
          );
          if (unrecorded !== null) {
            const a: UnmountAttempt = {
              mountPoint: m.mountPoint,
              fsType: m.fsType,
              source: m.source,
              strategy: s,
              ok: false,
              ms: 0,
              error: `not detached: could not record it (${unrecorded})`,
            };
            attempts.push(a);
            opts.onAttempt?.(a);
            continue;
          }
        }
        const r = await attempt(m, s);
        if (r === 'ok' && s === 'lazy') usedLazy = true;
        if (r !== 'fail') break;
      }
    }
    const after = await snapshot();
    const left = new Set(after.ours.map((m) => m.id));
    return before.ours.some((m) => !left.has(m.id));
  };

  for (;;) {
    const { ours } = await snapshot();
    if (ours.length === 0 || passes >= maxPasses) break;
    if (await pass(false)) continue;
    if (opts.allowLazy && (await pass(true))) continue;
    break;
  }
  const last = await snapshot();
  const remaining = last.all.filter((m) => last.ours.includes(m) || last.foreign.some((f) => f.mount === m));
  return { ok: remaining.length === 0, passes, attempts, remaining, foreign: last.foreign, privatized, usedLazy };
}

/** Every mount below `m` (children, their children, ...), from one snapshot of the table. */
function descendants(m: MountEntry, all: readonly MountEntry[]): MountEntry[] {
  const byParent = new Map<number, MountEntry[]>();
  for (const e of all) byParent.set(e.parentId, [...(byParent.get(e.parentId) ?? []), e]);
  const out: MountEntry[] = [];
  const stack = [...(byParent.get(m.id) ?? [])];
  const seen = new Set<number>([m.id]);
  while (stack.length) {
    const c = stack.pop() as MountEntry;
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    out.push(c);
    stack.push(...(byParent.get(c.id) ?? []));
  }
  return out;
}

function hasForeignBelow(m: MountEntry, all: readonly MountEntry[], foreignIds: ReadonlySet<number>): boolean {
  return descendants(m, all).some((c) => foreignIds.has(c.id));
}
