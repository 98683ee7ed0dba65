// What a cleanup teaches: per-target outcomes (how often it worked, bytes freed), a summary entry
// per run, and every refusal with its reason.
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import type { CleanPlan, CleanResult } from './types.js';

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
    durationMs: r.durationMs,
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
