// Asking both build lock names of one tree. The guardian binds its name before the run's CLI lets go
// of its own, so asking the run's name first and the guardian's second cannot miss both during that
// handover: if the run's name is free when asked, the guardian already held its name by then. (The
// other order can: the guardian's name asked just before it binds, the run's just after it is let go.)
import { probeLock, type LockProbe } from './lock-probe.js';

export type BuildLockRole = 'run' | 'guardian';

/** The order a tree's two build lock names are asked in (see above why it is this one). */
export const BUILD_LOCK_ASK_ORDER: readonly BuildLockRole[] = ['run', 'guardian'];

export type Prober = (name: string, timeoutMs: number) => Promise<LockProbe>;

/** Both names of one tree asked in order, every time, whichever of them was seen bound before. */
export async function askBuildLocks(
  nameOf: (role: BuildLockRole) => string,
  timeoutMs: number,
  probe: Prober = probeLock,
): Promise<{ role: BuildLockRole; name: string; probe: LockProbe }[]> {
  const out: { role: BuildLockRole; name: string; probe: LockProbe }[] = [];
  for (const role of BUILD_LOCK_ASK_ORDER) {
    const name = nameOf(role);
    out.push({ role, name, probe: await probe(name, timeoutMs) });
  }
  return out;
}
