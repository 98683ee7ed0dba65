// Pre-flight checks before a build, each from a failure this host saw before (the error-prevention
// summary): a host process that held the chroot at the last teardown, a disk that filled during the
// last build of this name, an apt cache mount that could not be detached. (Leftover mounts and
// processes of interrupted runs are checked by the run itself: see leftovers.ts and --recover.)
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { isAtOrUnder } from '../host/fs/paths.js';
import { holdersInside } from '../host/proc/proc-scan.js';
import { formatBytes } from '../text/units.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import type { CoordinatorCall } from './teardown-then-clean.js';

export interface PreflightCheck {
  check: 'host-holder' | 'disk-filled' | 'cache-busy';
  ok: boolean;
  message: string;
  /** The past failure the check comes from. */
  from: { at: string; what: string };
}

type Entry = Record<string, unknown> & { at: string; action?: string };

function lastEntry(entries: Entry[], pred: (e: Entry) => boolean): Entry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (pred(entries[i]!)) return entries[i];
  return undefined;
}

async function hostHolder(chroot: string, e: Entry): Promise<PreflightCheck> {
  const past = (e.holderCommands ?? []) as { pid: number; comm: string; cmdline: string }[];
  const what = `the teardown of ${chroot} at ${e.at} did not finish: held by ${past.map((p) => `pid ${p.pid} (${p.cmdline || p.comm})`).join(', ')}`;
  const now = existsSync(chroot) ? await holdersInside(chroot) : [];
  const same = now.filter((h) => past.some((p) => p.comm === h.comm));
  const hold = same.length ? same : now;
  return {
    check: 'host-holder',
    ok: hold.length === 0,
    message: hold.length
      ? `outside the chroot, ${hold.map((h) => `pid ${h.pid} (${h.cmdline || h.comm}: ${h.uses.map((u) => `${u.kind} ${u.path}`).join(', ')})`).join('; ')} uses ${chroot} now: the teardown after the build will not finish while it does`
      : `no host process holds ${chroot} now`,
    from: { at: e.at, what },
  };
}

function diskFilled(e: Entry): PreflightCheck {
  const path = String(e.path);
  const grew = Number(e.grewBytes ?? 0);
  let free: number | null = null;
  try {
    // The path may be gone (a chroot deleted after its build): its file system is its nearest ancestor's.
    let p = path;
    while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
    const s = statfsSync(p);
    free = s.bavail * s.bsize;
  } catch {
    /* the disk is not there now */
  }
  const what = `the last build of ${String(e.name)} (${e.at}) filled ${path} to ${Number(e.usedPct).toFixed(0)} % (threshold ${String(e.threshold)} %), using ${formatBytes(grew)}`;
  const ok = free !== null && free > grew * 1.2;
  return {
    check: 'disk-filled',
    ok,
    message:
      free === null
        ? `${path} cannot be examined now`
        : `${formatBytes(free)} free on ${path} now${ok ? '' : `: less than the ${formatBytes(grew)} the last build used, plus a margin`}`,
    from: { at: e.at, what },
  };
}

async function cacheBusy(chroot: string, e: Entry): Promise<PreflightCheck> {
  const dir = `${chroot}/var/cache/apt/archives`;
  const still = (await readMountinfo()).filter((m) => isAtOrUnder(m.mountPoint, dir));
  return {
    check: 'cache-busy',
    ok: still.length === 0,
    message: still.length
      ? `${still.map((m) => m.mountPoint).join(', ')} is still mounted: the cache could not be attached cleanly`
      : `nothing is mounted on ${dir} now`,
    from: { at: e.at, what: `the apt cache mount of ${chroot} could not be detached at ${e.at}: ${String(e.reason)}` },
  };
}

/** The checks that apply to this run, newest failure of each kind. */
export async function preflight(call: CoordinatorCall, name: string, chroot: string | null): Promise<PreflightCheck[]> {
  let entries: Entry[] = [];
  try {
    const v = (await call<{ value: { entries?: Entry[] } }>('memory-get', { key: 'optimization/error-prevention' }))
      .value;
    entries = Array.isArray(v.entries) ? v.entries : [];
  } catch {
    return []; // nothing failed before (or the memory is unreachable)
  }
  const out: PreflightCheck[] = [];
  if (chroot) {
    const td = lastEntry(entries, (e) => e.action === 'teardown' && e.target === chroot);
    if (td && Array.isArray(td.holderCommands) && td.holderCommands.length) out.push(await hostHolder(chroot, td));
    const cb = lastEntry(entries, (e) => e.action === 'cache-detach' && e.chroot === chroot);
    if (cb) out.push(await cacheBusy(chroot, cb));
  }
  const df = lastEntry(entries, (e) => e.action === 'build' && e.failure === 'disk-filled' && e.name === name);
  if (df) out.push(diskFilled(df));
  return out;
}

/** Failed checks are decisions the record changed: a warning before the build. */
export function preflightDecisions(checks: PreflightCheck[]): LearningEvent[] {
  return checks
    .filter((c) => !c.ok)
    .map((c) => ({
      kind: 'decision' as const,
      key: 'optimization/error-prevention',
      by: 'run pre-flight',
      decision: `warned before the build (${c.check}): ${c.message}`.slice(0, 500),
      default: 'no check',
      evidence: { check: c.check, from: c.from },
    }));
}
