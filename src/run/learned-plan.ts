// What the memory says about this run before it starts: the chroot's cleanup forecast from its
// last cleans (optimization/cleanup-success), shown in the run's plan.
import { predictClean } from '../learning/cleanup-predict.js';
import { pathKey } from '../memory/keys.js';
import type { CoordinatorCall } from './teardown-then-clean.js';

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
  const { preflight, preflightDecisions } = await import('./preflight.js');
  const checks = await preflight(call, name, chroot);
  const decisions = preflightDecisions(checks);
  if (decisions.length) await call('memory-record', { events: decisions }).catch(() => undefined);
  return [
    ...checks.map((c) => `pre-flight ${c.check}: ${c.ok ? 'ok' : 'WARNING'}: ${c.message} (because ${c.from.what})`),
    ...(await cleanupForecast(call, chroot)),
  ];
}
