// What the memory says about this run before it starts: the chroot's cleanup forecast from its
// last cleans (optimization/cleanup-success), shown in the run's plan.
import { predictClean } from '../learning/cleanup-predict.js';
import { pathKey } from '../memory/keys.js';
import type { CoordinatorCall } from './teardown-then-clean.js';
import { preflight, preflightDecisions } from './preflight.js';

async function memoryValue(call: CoordinatorCall, key: string): Promise<unknown> {
  try {
    return (await call<{ value: unknown }>('memory-get', { key })).value;
  } catch {
    return undefined; // not learned yet, or the memory is unreachable: the plan just says less
  }
}

/** Plan lines for the chroot: the predicted cleanup after the build. */
export async function cleanupForecast(call: CoordinatorCall, chroot: string | null): Promise<string[]> {
  if (!chroot) return [];
  const p = predictClean(await memoryValue(call, `optimization/cleanup-success/${pathKey(chroot)}`));
  return p ? [`cleanup of ${chroot} after the build, predicted from the ${p.text}`] : [];
}

/** Everything the memory adds to the run's plan: pre-flight checks from past failures, the cleanup forecast. */
export async function learnedPlan(call: CoordinatorCall, name: string, chroot: string | null): Promise<string[]> {
  const checks = await preflight(call, name, chroot);
  const decisions = preflightDecisions(checks);
  if (decisions.length) await call('memory-record', { events: decisions }).catch(() => undefined);
  return [
    ...checks.map((c) => `pre-flight ${c.check}: ${c.ok ? 'ok' : 'WARNING'}: ${c.message} (because ${c.from.what})`),
    ...(await cleanupForecast(call, chroot)),
  ];
}

interface Summary {
  entries?: (Record<string, unknown> & { at: string })[];
}

/**
 * A lower PARALLEL_JOBS the reactor recommended after a memory alert during or since the last run of
 * this name (optimization/resource-management), or null.
 */
export async function jobsRecommendation(
  call: CoordinatorCall,
  name: string,
): Promise<{ parallelJobs: number; why: string; at: string } | null> {
  const rm = (await memoryValue(call, 'optimization/resource-management')) as Summary | undefined;
  const recs = (rm?.entries ?? []).filter((e) => e.metric === 'memory' && e.recommendation);
  const rec = recs[recs.length - 1];
  if (!rec) return null;
  const perf = (await memoryValue(call, 'optimization/performance-improvements')) as Summary | undefined;
  const last = (perf?.entries ?? []).filter((e) => e.name === name).pop();
  // From the start of the last run of this name on; with no earlier run, within the last day.
  const since = last ? Date.parse(last.at) - Number(last.durationMs ?? 0) : Date.now() - 24 * 3600 * 1000;
  if (Date.parse(rec.at) < since) return null;
  const r = rec.recommendation as { parallelJobs: number; why: string };
  return { parallelJobs: r.parallelJobs, why: r.why, at: rec.at };
}
