// The live facts a verdict rests on, read once per decision and only when a judge asks: the mount
// table (/proc/self/mountinfo), the processes rooted in a tree, and the canonical path policy.
import { readFileSync } from 'node:fs';
import { isAtOrUnder } from '../host/fs/paths.js';
import { parseMountinfo, type MountEntry } from '../host/mounts/mountinfo.js';
import {
  canonicalPolicy,
  checkPolicy,
  readHomeDirs,
  type PathPolicy,
  type Verdict,
} from '../host/guard/path-policy.js';
import { processesRootedIn, type ProcessInfo } from '../host/proc/proc-scan.js';

const PSEUDO = new Set([
  'proc',
  'sysfs',
  'devpts',
  'mqueue',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'efivarfs',
  'binfmt_misc',
  'configfs',
  'fusectl',
  'pstore',
  'bpf',
  'hugetlbfs',
]);

export class HostView {
  private mounts?: MountEntry[];
  private policyP?: Promise<{ policy: PathPolicy; homes: string[] }>;
  private readonly rooted = new Map<string, Promise<ProcessInfo[]>>();

  constructor(
    private readonly rawPolicy: PathPolicy,
    private readonly mountinfoFile = '/proc/self/mountinfo',
  ) {}

  mountTable(): MountEntry[] {
    this.mounts ??= parseMountinfo(readFileSync(this.mountinfoFile, 'utf8'));
    return this.mounts;
  }

  /** Mounts at `path` or below it. */
  mountsAtOrUnder(path: string): MountEntry[] {
    return this.mountTable().filter((m) => isAtOrUnder(m.mountPoint, path));
  }

  /** Mounts strictly below `path`. */
  mountsBelow(path: string): MountEntry[] {
    return this.mountsAtOrUnder(path).filter((m) => m.mountPoint !== path);
  }

  /** The mount that holds `path` (the last-mounted one at the deepest mount point above it). */
  holding(path: string): MountEntry | undefined {
    let best: MountEntry | undefined;
    for (const m of this.mountTable()) {
      if (!isAtOrUnder(path, m.mountPoint)) continue;
      if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
    }
    return best;
  }

  isMountPoint(path: string): boolean {
    return this.mountTable().some((m) => m.mountPoint === path);
  }

  /**
   * A mount that shows files of the host: a bind of a folder (its root is not the file system's
   * top), a device or pseudo file system the host also has mounted outside `tree`, or /dev itself.
   */
  exposesHost(m: MountEntry, tree: string): boolean {
    if (m.root !== '/') return true;
    if (m.fsType === 'devtmpfs' || PSEUDO.has(m.fsType)) return true;
    return this.mountTable().some(
      (o) => o.major === m.major && o.minor === m.minor && !isAtOrUnder(o.mountPoint, tree),
    );
  }

  isWritable(m: MountEntry): boolean {
    return m.options.split(',').includes('rw');
  }

  isPseudo(m: MountEntry): boolean {
    return PSEUDO.has(m.fsType);
  }

  /** Processes whose root directory is `tree` or inside it (they belong to that chroot). */
  rootedIn(tree: string): Promise<ProcessInfo[]> {
    let p = this.rooted.get(tree);
    if (!p) {
      p = processesRootedIn(tree);
      this.rooted.set(tree, p);
    }
    return p;
  }

  private loadPolicy(): Promise<{ policy: PathPolicy; homes: string[] }> {
    this.policyP ??= Promise.all([canonicalPolicy(this.rawPolicy), readHomeDirs()]).then(([policy, homes]) => ({
      policy,
      homes,
    }));
    return this.policyP;
  }

  /** The path policy's verdict over a canonical path. */
  async policy(path: string): Promise<Verdict> {
    const { policy, homes } = await this.loadPolicy();
    return checkPolicy(path, policy, homes);
  }
}
