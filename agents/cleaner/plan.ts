// The Cleaner's plan (pure reading, no change): per target the policy verdict, what is mounted
// below it, and what would go (a tree and its size, evicted cache files, old temp files, stale locks).
import { planEviction, planTempCleanup } from '../../src/host/cache/cache-evict.js';
import { isPseudoFs, statfsType } from '../../src/host/fs/fs-type.js';
import { readMountinfo, type MountEntry } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder, pathComponents } from '../../src/host/fs/paths.js';
import { canonicalPolicy, readHomeDirs, resolveAndCheck, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { lazyDetachBlocks } from '../../src/host/mounts/lazy-marker.js';
import { findStaleLocks } from '../../src/host/walk/stale-locks.js';
import { acquireTargetLock, lockedReason } from '../../src/host/guard/target-lock.js';
import { buildInTree } from '../../src/host/guard/build-lock.js';
import { treeSize } from '../../src/host/walk/tree-size.js';
import type { CleanAction, CleanPlan, CleanTargetInput, CleanTargetPlan, MountReport } from './types.js';
import { overlayLayerUse } from '../../src/host/mounts/overlay-layers.js';

export { formatCleanPlan } from './format.js';

const KINDS = new Set(['tree', 'cache', 'temp', 'locks']);
const PLAN_MAX_ENTRIES = 5_000_000;

export function mountReport(m: MountEntry): MountReport {
  return { mountPoint: m.mountPoint, fsType: m.fsType, source: m.source };
}

/** The mount a path lives on: the deepest mount point above it, the top of a stack there. */
export function containingMount(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  let depth = -1;
  for (const m of mounts) {
    const d = pathComponents(m.mountPoint)?.length ?? -1;
    if (isAtOrUnder(path, m.mountPoint) && d >= depth) {
      best = m;
      depth = d;
    }
  }
  return best;
}

/** Mounts that refuse a target: at or below a tree; strictly below for the other kinds. */
export function blockingMounts(
  mounts: readonly MountEntry[],
  path: string,
  kind: CleanTargetInput['kind'],
): MountEntry[] {
  return mounts.filter((m) => isAtOrUnder(m.mountPoint, path) && (kind === 'tree' || m.mountPoint !== path));
}

export function invalidInput(t: CleanTargetInput): string | null {
  if (typeof t !== 'object' || t === null || typeof t.path !== 'string') return 'a target needs a path';
  if (!KINDS.has(t.kind)) return `unknown kind ${JSON.stringify(t.kind)} (tree, cache, temp or locks)`;
  if (t.kind === 'cache' && !(typeof t.limitBytes === 'number' && Number.isFinite(t.limitBytes) && t.limitBytes >= 0))
    return 'a cache target needs limitBytes >= 0';
  if (t.kind === 'temp' && !(typeof t.maxAgeSec === 'number' && Number.isFinite(t.maxAgeSec) && t.maxAgeSec >= 0))
    return 'a temp target needs maxAgeSec >= 0';
  return null;
}

async function actionFor(t: CleanTargetInput, path: string): Promise<CleanAction> {
  switch (t.kind) {
    case 'tree':
      return { type: 'delete-tree', size: await treeSize(path, { maxEntries: PLAN_MAX_ENTRIES }) };
    case 'cache':
      return { type: 'evict', plan: await planEviction(path, t.limitBytes ?? 0) };
    case 'temp':
      return { type: 'remove-temp', plan: await planTempCleanup(path, t.maxAgeSec ?? 0) };
    case 'locks': {
      const scan = await findStaleLocks(path);
      if (scan.refused) return { type: 'none', why: scan.refused };
      return {
        type: 'remove-locks',
        locks: scan.locks.filter((l) => l.stale),
        notStale: scan.locks.filter((l) => !l.stale),
        certain: scan.certain,
      };
    }
  }
}

export interface PlanOptions {
  /** The Unmounter's lazy-detach markers: a tree overlapping one still in use is refused, as the real clean does. */
  lazyMarkerDir?: string;
  /** The run whose own build asks (its build lock does not refuse it). */
  forRun?: string;
}

async function planOne(
  input: CleanTargetInput,
  policy: PathPolicy,
  homes: readonly string[],
  mounts: readonly MountEntry[],
  opts: PlanOptions,
): Promise<CleanTargetPlan> {
  const plan: CleanTargetPlan = { input, target: null, refused: null, mounts: [], action: null };
  const bad = invalidInput(input);
  if (bad) return { ...plan, refused: { code: 'invalid', reason: bad } };
  const r = await resolveAndCheck(input.path, policy, homes);
  if (!r.ok) {
    // A tree already gone is no refusal: a run may still have an interrupted delete to finish.
    if (r.code === 'not-found' && input.kind === 'tree') return { ...plan, action: { type: 'none', why: r.reason } };
    return { ...plan, refused: { code: r.code, reason: r.reason } };
  }
  plan.target = { path: r.path, fileId: r.fileId };
  const under = mounts.filter((m) => isAtOrUnder(m.mountPoint, r.path));
  plan.mounts = under.map(mountReport);
  // The refusals the real clean makes after planning, shown by the plan too (a dry run sees them);
  // a build in or around the tree first: its mounts are its own, not something to unmount.
  const lock = await acquireTargetLock(r.path);
  if (!lock) return { ...plan, refused: { code: 'locked', reason: await lockedReason(r.path) } };
  const using = await buildInTree(r.path, opts.forRun).finally(() => lock.release());
  if (using) return { ...plan, refused: { code: 'locked', reason: using } };
  const blocking = blockingMounts(mounts, r.path, input.kind);
  if (blocking.length > 0) {
    const list = blocking.map((m) => `${JSON.stringify(m.mountPoint)} (${m.fsType} from ${m.source})`).join(', ');
    return {
      ...plan,
      refused: { code: 'mounted', reason: `mounted under ${r.path}: ${list}; unmount first (isoswarm unmount)` },
    };
  }
  const layer = overlayLayerUse(mounts, r.path);
  if (layer) return { ...plan, refused: { code: 'mounted', reason: `${layer}; nothing deleted` } };
  const fsType = containingMount(mounts, r.path)?.fsType ?? 'unknown';
  const statType = await statfsType(r.path);
  if (isPseudoFs(fsType) || isPseudoFs(statType)) {
    return {
      ...plan,
      refused: { code: 'pseudo-fs', reason: `${r.path} is on a pseudo file system (${fsType}/${statType})` },
    };
  }
  if (opts.lazyMarkerDir) {
    const lazy = await lazyDetachBlocks(opts.lazyMarkerDir, r.path, undefined, { readOnly: true }).catch((e: Error) => [
      { reason: `cannot check for lazy detaches: ${e.message}` },
    ]);
    if (lazy.length > 0)
      return { ...plan, refused: { code: 'lazy-detached', reason: lazy.map((b) => b.reason).join('\n') } };
  }
  try {
    plan.action = await actionFor(input, r.path);
  } catch (e) {
    return { ...plan, refused: { code: 'invalid', reason: `cannot plan ${r.path}: ${String(e)}` } };
  }
  return plan;
}

/** Plans every target; never changes anything. `homes` defaults to those in /etc/passwd. */
export async function planClean(
  targets: readonly CleanTargetInput[],
  policy: PathPolicy,
  homes?: readonly string[],
  opts: PlanOptions = {},
): Promise<CleanPlan> {
  const p = await canonicalPolicy(policy);
  const h = homes ?? (await readHomeDirs());
  const mounts = await readMountinfo();
  const out: CleanTargetPlan[] = [];
  for (const t of targets) out.push(await planOne(t, p, h, mounts, opts));
  return { targets: out, createdAt: new Date().toISOString() };
}
