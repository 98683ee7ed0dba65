// What a teardown teaches: every unmount attempt by file system type and strategy, refusals and
// their reasons, and a summary entry per run.
import { chooseStrategies } from '../../src/learning/unmount-order.js';
import type { MemoryClient } from '../../src/runtime/memory-client.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';
import type { UnmountStrategies } from '../../src/schemas/memory-records.js';
import type { Strategy, TeardownPlan, TeardownResult } from './types.js';

const KNOWN: Strategy[] = ['umount', 'umount-after-settle'];

export interface StrategyPlan {
  order: (fsType: string, source: string) => Strategy[];
  /** Orders the records changed (or an exploration), to be kept in the decision log. */
  decisions: LearningEvent[];
}

/** Strategy order per file system type and mount source, as the records favour; lazy always stays last. */
export async function strategyOrderFor(plan: TeardownPlan, memory: MemoryClient): Promise<StrategyPlan> {
  const orders = new Map<string, Strategy[]>();
  const decisions: LearningEvent[] = [];
  const records = new Map<string, UnmountStrategies | undefined>();
  for (const fsType of new Set(plan.mounts.map((m) => m.fsType))) {
    records.set(
      fsType,
      await memory.get<UnmountStrategies>(`optimization/unmount-strategies/${fsType}`).catch(() => undefined),
    );
  }
  for (const m of plan.mounts) {
    const id = `${m.fsType}\0${m.source}`;
    if (orders.has(id)) continue;
    const c = chooseStrategies(records.get(m.fsType), KNOWN, m.source);
    const order = c.order as Strategy[];
    orders.set(id, order);
    if (order[0] === KNOWN[0] && !c.explored) continue;
    decisions.push({
      kind: 'decision',
      key: `optimization/unmount-strategies/${m.fsType}`,
      by: 'unmounter',
      decision: c.explored
        ? `tried ${c.explored} first again for ${m.fsType} from ${m.source} to measure it (not tried for ${c.evidence[c.explored]?.idle ?? 0} attempts)`
        : `tried ${order.join(', then ')} for ${m.fsType} from ${m.source} (${c.basis === 'source' ? 'this source' : 'this file system type'} measured so)`,
      default: `${KNOWN.join(', then ')}`,
      evidence: { target: plan.target?.path ?? plan.input, source: m.source, basis: c.basis, strategies: c.evidence },
    });
  }
  return {
    order: (fsType, source) => [...(orders.get(`${fsType}\0${source}`) ?? KNOWN), 'lazy'],
    decisions,
  };
}

export function teardownLessons(plan: TeardownPlan, r: TeardownResult): LearningEvent[] {
  const events: LearningEvent[] = r.attempts.map((a) => ({
    kind: 'unmount-attempt',
    fsType: a.fsType,
    source: a.source.slice(0, 4096),
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
