// What a cleanup teaches: per-target outcomes (how often it worked, bytes freed), a summary entry
// per run, and every refusal with its reason.
import { defaultWorkers } from '../../src/host/delete/run.js';
import { chooseThreads, predictClean } from '../../src/learning/cleanup-predict.js';
import { pathKey } from '../../src/memory/keys.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import type { CleanPlan, CleanResult, CleanTargetPlan } from './types.js';

export function planBytes(plan: CleanPlan): number {
  let n = 0;
  for (const t of plan.targets) {
    const a = t.action;
    if (!a) continue;
    if (a.type === 'delete-tree') n += a.size.bytes;
    else if (a.type === 'evict') n += a.plan.evictBytes;
    else if (a.type === 'remove-temp') n += a.plan.bytes;
  }
  return n;
}

export function cleanLessons(r: CleanResult, trigger: string | undefined): LearningEvent[] {
  const events: LearningEvent[] = r.targets.map((t) => ({
    kind: 'cleanup-outcome',
    target: t.path,
    status: t.status,
    bytesFreed: t.deleted.bytes,
    durationMs: t.durationMs ?? r.durationMs,
    files: t.deleted.files,
    ...(t.threads !== undefined ? { threads: t.threads } : {}),
  }));
  const bytes = r.targets.reduce((n, t) => n + t.deleted.bytes, 0);
  events.push({
    kind: 'summary',
    name: 'cleanup-procedures',
    entry: {
      action: 'clean',
      trigger: trigger ?? 'request',
      status: r.status,
      targets: r.targets.map((t) => ({ path: t.path, kind: t.kind, status: t.status })),
      bytesFreed: bytes,
      durationMs: r.durationMs,
    },
    counts: { cleans: 1, [`clean-${r.status}`]: 1, bytesFreed: bytes },
  });
  const refused = r.targets.filter((t) => t.status !== 'done');
  if (refused.length) {
    events.push({
      kind: 'summary',
      name: 'error-prevention',
      entry: {
        action: 'clean',
        refused: refused.map((t) => ({
          path: t.path,
          status: t.status,
          code: t.code ?? null,
          reason: (t.reason ?? '').slice(0, 300),
        })),
      },
      counts: Object.fromEntries(refused.map((t) => [`clean-${t.code ?? t.status}`, 1])),
    });
  }
  return events;
}

function targetBytes(t: CleanTargetPlan): number | undefined {
  const a = t.action;
  if (a?.type === 'delete-tree') return a.size.bytes;
  if (a?.type === 'evict') return a.plan.evictBytes;
  if (a?.type === 'remove-temp') return a.plan.bytes;
  return undefined;
}

const recordKey = (path: string): string => `optimization/cleanup-success/${pathKey(path)}`;

/** Each planned target's prediction from its last cleans (the plan a person reads shows it). */
export async function addPredictions(plan: CleanPlan, memory: MemoryClient): Promise<void> {
  for (const t of plan.targets) {
    if (!t.target || t.refused || !t.action || t.action.type === 'none') continue;
    const rec = await memory.get(recordKey(t.target.path)).catch(() => undefined);
    t.prediction = predictClean(rec, targetBytes(t));
  }
}

/** Deleter threads for trees the records know to be big, and the decisions that changed. */
export async function threadChoices(
  plan: CleanPlan,
  memory: MemoryClient,
): Promise<{ threads: Map<string, { threads: number; eager: boolean }>; decisions: LearningEvent[] }> {
  const threads = new Map<string, { threads: number; eager: boolean }>();
  const decisions: LearningEvent[] = [];
  for (const t of plan.targets) {
    if (!t.target || t.refused || t.action?.type !== 'delete-tree') continue;
    const key = recordKey(t.target.path);
    const c = chooseThreads(await memory.get(key).catch(() => undefined), defaultWorkers());
    if (!c) continue;
    threads.set(t.target.path, { threads: c.threads, eager: c.eager });
    decisions.push({
      kind: 'decision',
      key,
      by: 'cleaner',
      decision: c.decision,
      default: `up to ${defaultWorkers()} threads, started once the tree proves big`,
      evidence: c.evidence,
    });
  }
  return { threads, decisions };
}
