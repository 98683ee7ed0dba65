// What the reactor does about an alert, by kind: a disk alert cleans the targets on that disk, the
// ones that freed the most bytes per second last time (optimization/cleanup-success) first; a temp
// alert cleans temp targets only; a memory alert cleans nothing and recommends fewer parallel jobs for
// the next run. Configured build trees are never reactor targets (a running build may be using them);
// on a disk alert, trees that finished runs left behind a day ago or more are (stale-trees.ts).
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { MemoryOps } from '../memory/operations.js';
import { pathKey } from '../memory/keys.js';
import type { ThresholdEvent } from '../schemas/agents/monitor.js';
import type { CleanupTarget, Config } from '../schemas/config.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import { staleBuildTrees } from './stale-trees.js';

export interface Reaction {
  targets: CleanupTarget[];
  /** Why nothing is cleaned, when nothing is. */
  why?: string;
  /** Orders, recommendations: decisions the records changed. */
  decisions: LearningEvent[];
  recommendation?: { parallelJobs: number; why: string };
}

/** Out of the box (no targets configured): the apt and debootstrap caches, over their limits. */
export function defaultTargets(config: Config, stateRoot: string): CleanupTarget[] {
  return [
    {
      path: config.caches.aptDir ?? join(stateRoot, 'cache', 'apt-archives'),
      kind: 'cache',
      limitBytes: config.caches.aptLimitBytes,
    },
    {
      path: config.caches.debootstrapDir ?? join(stateRoot, 'cache', 'debootstrap-tarballs'),
      kind: 'cache',
      limitBytes: config.caches.debootstrapLimitBytes,
    },
  ];
}

function deviceOf(path: string): number | null {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    return statSync(p).dev;
  } catch {
    return null;
  }
}

/** Bytes per second the target's last cleans freed, or null when none were measured. */
function freedPerSec(ops: MemoryOps, path: string): { rate: number; cleans: number } | null {
  const rec = ops.get(`optimization/cleanup-success/${pathKey(path)}`)?.value as
    { recent?: { status: string; bytesFreed: number; durationMs: number }[] } | undefined;
  const done = (rec?.recent ?? []).filter((r) => r.status === 'done' && r.bytesFreed > 0).slice(-3);
  if (!done.length) return null;
  const ms = done.reduce((n, r) => n + Math.max(1, r.durationMs), 0);
  return { rate: Math.round((done.reduce((n, r) => n + r.bytesFreed, 0) * 1000) / ms), cleans: done.length };
}

export function planReaction(ev: ThresholdEvent, config: Config, ops: MemoryOps, stateRoot: string): Reaction {
  const configured = config.cleanup.targets.filter((t) => t.kind !== 'tree');
  const base = config.cleanup.targets.length ? configured : defaultTargets(config, stateRoot);
  if (ev.metric === 'memory') {
    const jobs = Math.max(1, Math.floor(availableParallelism() / 2));
    const why = `memory reached ${ev.value.toFixed(0)} % (threshold ${ev.threshold} %)`;
    return {
      targets: [],
      why: 'a memory alert is not helped by deleting files',
      recommendation: { parallelJobs: jobs, why },
      decisions: [
        {
          kind: 'decision',
          key: 'optimization/resource-management',
          by: 'reactor',
          decision: `recommended PARALLEL_JOBS=${jobs} for the next run: ${why}`,
          default: "the tuner's job count",
          evidence: { value: ev.value, threshold: ev.threshold, processors: availableParallelism() },
        },
      ],
    };
  }
  if (ev.metric === 'temp') {
    const temp = base.filter((t) => t.kind === 'temp');
    return { targets: temp, decisions: [], ...(temp.length ? {} : { why: 'no temp targets configured' }) };
  }
  // Disk: only what lives on the full disk helps; trees of finished runs from the run registry too.
  const dev = deviceOf(ev.subject);
  const stale = staleBuildTrees(stateRoot).trees.filter((t) => dev !== null && deviceOf(t.path) === dev);
  const trees: CleanupTarget[] = stale.map((t) => ({ path: t.path, kind: 'tree' }));
  const onDisk = [...base.filter((t) => dev !== null && deviceOf(t.path) === dev), ...trees];
  if (!onDisk.length) return { targets: [], decisions: [], why: `no cache, temp or lock target on ${ev.subject}` };
  const rates = new Map(onDisk.map((t) => [t.path, freedPerSec(ops, t.path)]));
  const ordered = [...onDisk].sort((a, b) => (rates.get(b.path)?.rate ?? -1) - (rates.get(a.path)?.rate ?? -1));
  const decisions: LearningEvent[] = stale.map((t) => ({
    kind: 'decision',
    key: 'optimization/resource-management',
    by: 'reactor',
    decision: `cleaning ${t.path}, the build tree run ${t.runId} left behind, for the ${ev.subject} alert`,
    default: 'build trees are left alone',
    evidence: { runId: t.runId, doneAt: t.doneAt },
  }));
  if (ordered.some((t, i) => t !== onDisk[i]))
    decisions.push({
      kind: 'decision',
      key: 'optimization/resource-management',
      by: 'reactor',
      decision: `cleaned ${ordered.map((t) => t.path).join(', then ')} for the ${ev.subject} alert: most bytes freed per second last time first`,
      default: onDisk.map((t) => t.path).join(', then '),
      evidence: Object.fromEntries([...rates].map(([p, r]) => [p, r])),
    });
  return { targets: ordered, decisions };
}
