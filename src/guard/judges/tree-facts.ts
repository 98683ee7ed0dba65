// What stands in a tree that is about to be deleted, packed or unmounted, in words for the reason line.
import type { MountEntry } from '../../host/mounts/mountinfo.js';
import type { HostView } from '../host-view.js';

export interface TreeFacts {
  /** Mounts below the tree, and the tree itself when it shows host files. */
  mounts: MountEntry[];
  rooted: { pid: number; comm: string }[];
}

export async function treeFacts(host: HostView, tree: string): Promise<TreeFacts> {
  const mounts = host.mountsAtOrUnder(tree).filter((m) => m.mountPoint !== tree || host.exposesHost(m, tree));
  const rooted = (await host.rootedIn(tree)).map((p) => ({ pid: p.pid, comm: p.comm }));
  return { mounts, rooted };
}

export function describeMounts(ms: MountEntry[], max = 4): string {
  const shown = ms
    .slice(0, max)
    .map((m) => `${m.mountPoint} (${m.fsType}${m.root !== '/' ? ` bind of ${m.root}` : ''})`);
  return shown.join(', ') + (ms.length > max ? ` and ${ms.length - max} more` : '');
}

export function describeProcs(ps: { pid: number; comm: string }[], max = 4): string {
  return (
    ps
      .slice(0, max)
      .map((p) => `${p.comm} (pid ${p.pid})`)
      .join(', ') + (ps.length > max ? ` and ${ps.length - max} more` : '')
  );
}

const shq = (s: string): string => (/^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
export { shq };

/** The isoswarm command that takes a tree apart safely, or why isoswarm would refuse it too. */
export async function safeTeardown(host: HostView, tree: string, verb: 'cleanup' | 'unmount'): Promise<string> {
  const v = await host.policy(tree);
  if (v.ok) return `isoswarm ${verb} ${shq(tree)}`;
  if (v.code === 'outside-safe-prefixes')
    return `isoswarm ${verb} ${shq(tree)} (add its parent to policy.safePrefixes first)`;
  return `none: ${v.reason}`;
}
