// What a teardown teaches: every unmount attempt by file system type and strategy, refusals and
// their reasons, and a summary entry per run.
import { orderStrategies } from '../../src/learning/reducers.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import type { UnmountStrategies } from '../../src/schemas/memory-records.js';
import type { Strategy, TeardownPlan, TeardownResult } from './types.js';

const KNOWN: Strategy[] = ['umount', 'umount-after-settle'];

/** Strategy order per file system type, as the records favour; lazy always stays last. */
export async function strategyOrderFor(
  plan: TeardownPlan,
  memory: MemoryClient,
): Promise<(fsType: string) => Strategy[]> {
  const orders = new Map<string, Strategy[]>();
  for (const fsType of new Set(plan.mounts.map((m) => m.fsType))) {
    const rec = await memory.get<UnmountStrategies>(`optimization/unmount-strategies/${fsType}`).catch(() => undefined);
    orders.set(fsType, orderStrategies(rec, KNOWN) as Strategy[]);
  }
  return (fsType) => [...(orders.get(fsType) ?? KNOWN), 'lazy'];
}

export function teardownLessons(plan: TeardownPlan, r: TeardownResult): LearningEvent[] {
  const events: LearningEvent[] = r.attempts.map((a) => ({
    kind: 'unmount-attempt',
    fsType: a.fsType,
    strategy: a.strategy,
    ok: a.ok,
    ms: a.ms,
    ...(a.error ? { error: a.error.slice(0, 300) } : {}),
  }));
  const target = r.target ?? plan.input;
  events.push({
    kind: 'summary',
    name: 'cleanup-procedures',
    entry: {
      action: 'teardown',
      target,
      status: r.status,
      signalled: r.signalled.length,
      unmounted: r.unmounted.length,
      loops: r.detachedLoops.length,
      usedLazy: r.usedLazy,
      durationMs: r.durationMs,
    },
    counts: {
      teardowns: 1,
      [`teardown-${r.status}`]: 1,
      processesSignalled: r.signalled.length,
      mountsUnmounted: r.unmounted.length,
    },
  });
  if (r.status !== 'done') {
    events.push({
      kind: 'summary',
      name: 'error-prevention',
      entry: {
        action: 'teardown',
        target,
        status: r.status,
        reason: (r.reason ?? '').slice(0, 500),
        remaining: r.remaining.map((m) => m.mountPoint),
        holders: r.holders.map((h) => h.pid),
      },
      counts: { [`teardown-${r.status}`]: 1 },
    });
  }
  return events;
}
