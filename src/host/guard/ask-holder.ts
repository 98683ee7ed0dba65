// Asking a lock name's holder, without the long wait for a look-alike that says nothing. A live holder
// of ours answers at once; one still silent after a short grace is judged by who holds the name
// (foreign-holder.ts), and a foreign one is passed by then instead of after the whole wait (5 s per
// name, on a run's start path). Judged only then, so a check whose holders all answer scans no /proc.
import { probeLock, type LockProbe } from './lock-probe.js';
import type { ForeignJudge } from './foreign-holder.js';

/** Longer than a live holder takes to answer on an idle machine; a slower one is only judged sooner. */
const GRACE_MS = 100;

const PASSED_BY: LockProbe = { held: false, says: null, tree: null };

/**
 * probeLock, except that a holder silent after GRACE_MS whose name `foreign` judges foreign reads as not
 * held. An answer that comes is returned as it is: the caller judges it before it refuses on it.
 */
export async function askHolder(name: string, timeoutMs: number, foreign: ForeignJudge): Promise<LockProbe> {
  const stop = new AbortController();
  const asked = probeLock(name, timeoutMs, stop.signal);
  let timer: NodeJS.Timeout | undefined;
  const early = await Promise.race([
    asked,
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.min(GRACE_MS, timeoutMs)))),
  ]);
  clearTimeout(timer);
  if (early) return early;
  if (!foreign(name)) return asked;
  stop.abort();
  await asked;
  return PASSED_BY;
}
