// Leftovers of interrupted runs: mounts and processes under the chroot of a registered run that is not
// in progress any more (its runner and guardian are gone, or it finished without a full teardown).
// `isoswarm up` and every `isoswarm run` report them; `run --recover` tears them down first.
import { existsSync, realpathSync } from 'node:fs';
import { isAlive } from '../host/proc/process-identity.js';
import { mountsUnder, readMountinfo } from '../host/mounts/mountinfo.js';
import { processesRootedIn } from '../host/proc/proc-scan.js';
import { groupMembers } from './process-group.js';
import { listEntries, stateOf, type RegistryEntry } from './registry.js';

export interface Leftover {
  runId: string;
  state: string;
  chroot: string;
  mounts: string[];
  processes: { pid: number; cmdline: string }[];
}

/** In progress: its CLI, its guardian or a post-task claim holder still lives. */
function inProgress(e: RegistryEntry): boolean {
  if (e.done) return false;
  if (e.run && isAlive(e.run.cli) && !e.lost) return true;
  if (e.guardian && isAlive(e.guardian.guardian)) return true;
  return !!e.claim && isAlive(e.claim.by);
}

export async function findLeftovers(stateRoot: string, newest = 50): Promise<Leftover[]> {
  const entries = listEntries(stateRoot).slice(-newest);
  const mounts = await readMountinfo();
  const out: Leftover[] = [];
  const seen = new Set<string>();
  for (const e of entries.reverse()) {
    const chroot = e.run?.chroot;
    if (!chroot || seen.has(chroot) || inProgress(e) || !existsSync(chroot)) continue;
    seen.add(chroot);
    let real: string;
    try {
      real = realpathSync(chroot);
    } catch {
      continue;
    }
    const m = mountsUnder(mounts, real).map((x) => x.mountPoint);
    const procs = (await processesRootedIn(real)).map((p) => ({ pid: p.pid, cmdline: p.cmdline }));
    // A build whose guardian died before it could end it: its process group lives on.
    if (e.guardian && !e.exit)
      for (const pid of groupMembers(e.guardian.pgid))
        if (!procs.some((p) => p.pid === pid)) procs.push({ pid, cmdline: `(process group of the build, pid ${pid})` });
    if (m.length || procs.length) out.push({ runId: e.runId, state: stateOf(e), chroot, mounts: m, processes: procs });
  }
  return out;
}

export function describeLeftover(l: Leftover): string {
  const parts = [
    l.mounts.length ? `${l.mounts.length} mount(s) (${l.mounts.join(', ')})` : '',
    l.processes.length
      ? `${l.processes.length} process(es) (${l.processes.map((p) => `${p.pid} ${p.cmdline}`).join('; ')})`
      : '',
  ].filter(Boolean);
  return `leftovers of run ${l.runId} (${l.state}) under ${l.chroot}: ${parts.join(' and ')}`;
}

/** A lost run on `chroot` that a coordinator is about to finish is waited for (up to `timeoutMs`), so that two teardowns do not race for one target. */
export async function waitForLostRuns(stateRoot: string, chroot: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const pending = listEntries(stateRoot).filter((e) => e.run?.chroot === chroot && !e.done && !inProgress(e));
    const busy = listEntries(stateRoot).filter(
      (e) => e.run?.chroot === chroot && !e.done && e.claim && isAlive(e.claim.by),
    );
    if (!pending.length && !busy.length) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}
