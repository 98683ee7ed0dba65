// Over 250 lines on purpose: one resumable, budgeted walk whose state and steps read best together.
// Size of a temp tree tracked incrementally with a bounded cost per tick, so a 1 Hz monitor stays
// cheap on trees of hundreds of thousands of files. Node has no inotify without native deps, so the
// tracker does a resumable, budgeted walk: per-directory totals keyed by the directory's change stamp;
// "check" passes stat every directory and re-read only those whose stamp moved; "full" passes (spread
// over ticks like everything else) re-stat every file, because a file growing in place leaves its
// directory's stamp alone. I/O is synchronous on purpose: one budgeted slice of cheap syscalls per
// tick costs far less CPU than a thread-pool round trip per entry.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mountsUnder, parseMountinfo } from '../mounts/mountinfo.js';

export interface TempTrackerOptions {
  /** Most entries (directory stats plus directory entries) visited in one tick. */
  budgetEntries?: number;
  /** Most wall time spent in one tick, in ms (checked every few entries; default 1). */
  budgetMs?: number;
  /** The same for the ticks of the very first pass (default 0.5, or budgetMs when that is given). */
  firstPassBudgetMs?: number;
  /** Pause between the start of one pass and the start of the next (default 10 s). */
  checkIntervalMs?: number;
  /** A full pass (every file re-stat'ed) at least this often; other passes only stat directories. */
  fullRefreshMs?: number;
}

export interface TempUsage {
  path: string;
  /** Allocated bytes of every non-directory entry (st_blocks * 512, as du counts disk use). */
  bytes: number;
  apparentBytes: number;
  files: number;
  dirs: number;
  /** Every directory known so far has been read at least once: the totals cover the whole tree. */
  complete: boolean;
  /** Age of the start of the last finished pass (null before the first finishes). */
  stalenessMs: number | null;
  passes: number;
}

/** What one tick did: entries visited (directory stats + directory entries), wall ms, pass end. */
export interface TickStats {
  visited: number;
  ms: number;
  passFinished: boolean;
}

/** Totals of a directory's own non-directory entries. */
interface Own {
  bytes: number;
  apparent: number;
  files: number;
}

interface DirNode extends Own {
  path: string;
  /** `${mtimeNs}:${ctimeNs}` when last read; ctime because tar and rsync reset mtimes. null = never read. */
  stamp: string | null;
  children: Map<string, DirNode>;
}

// A directory being read holds its names, never an open handle: an fd kept across ticks inside a
// chroot's bind mount would make the Monitor a holder that blocks the chroot's teardown.
interface Cursor extends Own {
  node: DirNode;
  /** Plain names: a Dirent per entry would only add garbage (every entry is lstat'ed anyway). */
  entries: string[];
  next: number;
  stamp: string;
  subdirs: Set<string>;
}

/** One level of the depth-first pass: the directory, then an iterator over its subdirectories. */
interface Frame {
  node: DirNode;
  iter: Iterator<DirNode> | null;
  visited: boolean;
}

interface Pass {
  full: boolean;
  startedAt: number;
  stack: Frame[];
  rootDev: bigint | null;
  mounts: Set<string>;
}

const NO_THROW = { throwIfNoEntry: false } as const;

/** A directory changed less than this long ago is read again on the next pass. */
const RECENT_MS = 2000;

const newNode = (path: string): DirNode => ({
  path,
  stamp: null,
  children: new Map(),
  bytes: 0,
  apparent: 0,
  files: 0,
});

export class TempTracker {
  private readonly o: Required<TempTrackerOptions>;
  private readonly root: DirNode;
  private total = { bytes: 0, apparent: 0, files: 0, dirs: 1 };
  private unread = 1;
  private pass: Pass | null = null;
  private cursor: Cursor | null = null;
  private nextPassAt = 0;
  private lastFullAt = -Infinity;
  private lastDoneAt: number | null = null;
  private passes = 0;
  private readonly mounts = new MountCache();

  constructor(
    readonly path: string,
    opts: TempTrackerOptions = {},
  ) {
    // Check passes every 10 s: a file added anywhere shows up within ~10 s plus the pass itself (its
    // directory's stamp moves); the Monitor samples CPU and memory every second, the tree slower.
    // 1 ms a tick caps the walks at 0.1 % of a core at 1 Hz. The first walk meets a cold JIT and
    // leaves garbage (a Stats and four Dates per entry) collected outside the budget, about 2.3x
    // the budget in all (bench/monitor-bench): at 0.5 ms a tick it adds ~0.1 % to an agent whose
    // first minute costs ~0.1 % with nothing to walk. A 20k-entry /tmp is then complete after
    // ~3.5 min (`complete` is false until then); later passes go at 1 ms a tick.
    this.o = {
      budgetEntries: 2000,
      budgetMs: 1,
      checkIntervalMs: 10_000,
      fullRefreshMs: 300_000,
      ...opts,
      // A caller that sets its own budget gets it for the first pass too.
      firstPassBudgetMs: opts.firstPassBudgetMs ?? opts.budgetMs ?? 0.5,
    };
    this.root = newNode(path.replace(/\/+$/, '') || '/');
  }

  /** Does at most one budget's worth of work; returns how much it did. */
  tick(): TickStats {
    const t0 = performance.now();
    const { budgetEntries } = this.o;
    const budgetMs = this.passes === 0 ? this.o.firstPassBudgetMs : this.o.budgetMs;
    let visited = 0;
    let passFinished = false;
    // Mounts come and go while a pass runs (a build binds /usr into its chroot): re-read them.
    if (this.pass) this.pass.mounts = this.mounts.under(this.root.path);
    while (visited < budgetEntries) {
      if ((visited & 15) === 15 && performance.now() - t0 >= budgetMs) break;
      if (this.cursor) {
        visited++;
        this.step(this.cursor);
        continue;
      }
      if (!this.pass) {
        const now = Date.now();
        if (now < this.nextPassAt) break;
        this.startPass(now);
      }
      const pass = this.pass!;
      const top = pass.stack[pass.stack.length - 1];
      if (!top) {
        this.finishPass(pass);
        passFinished = true;
        break;
      }
      if (!top.visited) {
        visited++;
        top.visited = true;
        if (!this.visit(pass, top.node)) pass.stack.pop();
        continue;
      }
      top.iter ??= top.node.children.values();
      const next = top.iter.next();
      if (next.done) pass.stack.pop();
      else pass.stack.push({ node: next.value, iter: null, visited: false });
    }
    return { visited, ms: performance.now() - t0, passFinished };
  }

  usage(): TempUsage {
    return {
      path: this.root.path,
      bytes: this.total.bytes,
      apparentBytes: this.total.apparent,
      files: this.total.files,
      dirs: this.total.dirs,
      complete: this.unread === 0,
      stalenessMs: this.lastDoneAt === null ? null : Date.now() - this.lastDoneAt,
      passes: this.passes,
    };
  }

  /** Makes the next pass a full one and lets it start at the next tick (e.g. right after a cleanup). */
  refresh(): void {
    this.lastFullAt = -Infinity;
    this.nextPassAt = 0;
  }

  /** Releases the open directory handle and forgets the pass in progress (totals are kept). */
  close(): void {
    this.cursor = null;
    this.pass = null;
    this.nextPassAt = 0;
  }

  private startPass(now: number): void {
    const full = now - this.lastFullAt >= this.o.fullRefreshMs;
    const st = statSync(this.root.path, { bigint: true, throwIfNoEntry: false });
    this.pass = {
      full,
      startedAt: now,
      stack: [{ node: this.root, iter: null, visited: false }],
      rootDev: st?.dev ?? null,
      mounts: st ? this.mounts.under(this.root.path, true) : new Set(),
    };
  }

  private finishPass(pass: Pass): void {
    this.passes++;
    this.lastDoneAt = pass.startedAt;
    // Counted from its end: a full pass slower than fullRefreshMs (a first walk spread over minutes)
    // must not be followed at once by another full one.
    if (pass.full) this.lastFullAt = Date.now();
    this.nextPassAt = pass.startedAt + this.o.checkIntervalMs;
    this.pass = null;
  }

  /** Stats a directory; opens a read when needed. Returns false when the node was dropped. */
  private visit(pass: Pass, node: DirNode): boolean {
    // The root may be a symlink (e.g. a configured /var/tmp link); nothing below it is followed.
    const st = (node === this.root ? statSync : lstatSync)(node.path, { bigint: true, throwIfNoEntry: false });
    // Never cross into another file system or a bind mount (a chroot's /proc, /dev, a bound /home).
    const foreign = node !== this.root && (st?.dev !== pass.rootDev || pass.mounts.has(node.path));
    if (!st || !st.isDirectory() || foreign) {
      if (node === this.root) {
        this.replaceOwn(node, { bytes: 0, apparent: 0, files: 0 });
        for (const c of node.children.values()) this.drop(c);
        node.children.clear();
        this.markRead(node, 'missing');
      } else {
        this.drop(node);
        this.parentOfTop()?.children.delete(node.path.slice(node.path.lastIndexOf('/') + 1));
      }
      return node === this.root;
    }
    let stamp = `${st.mtimeNs}:${st.ctimeNs}`;
    if (!pass.full && stamp === node.stamp) return true;
    // Timestamps come from a coarse clock: a change right after this read could keep the same stamp.
    // A directory changed in the last seconds gets a stamp that never matches, so it is read again.
    if (Date.now() - Number(st.ctimeNs / 1_000_000n) < RECENT_MS) stamp += '~recent';
    let entries: string[];
    try {
      entries = readdirSync(node.path);
    } catch {
      this.replaceOwn(node, { bytes: 0, apparent: 0, files: 0 });
      this.markRead(node, stamp);
      return true;
    }
    this.cursor = { node, entries, next: 0, stamp, subdirs: new Set(), bytes: 0, apparent: 0, files: 0 };
    return true;
  }

  /** Reads one directory entry; at the end, swaps the directory's totals and reconciles subdirectories. */
  private step(c: Cursor): void {
    const name = c.entries[c.next++];
    if (name !== undefined) {
      const st = lstatSync(c.node.path === '/' ? `/${name}` : `${c.node.path}/${name}`, NO_THROW);
      if (!st) return;
      if (st.isDirectory()) {
        c.subdirs.add(name);
        return;
      }
      c.files++;
      c.bytes += st.blocks * 512;
      c.apparent += st.size;
      return;
    }
    this.cursor = null;
    const node = c.node;
    this.replaceOwn(node, c);
    for (const [name, child] of node.children) {
      if (!c.subdirs.has(name)) {
        this.drop(child);
        node.children.delete(name);
      }
    }
    for (const name of c.subdirs) {
      if (node.children.has(name)) continue;
      node.children.set(name, newNode(node.path === '/' ? `/${name}` : `${node.path}/${name}`));
      this.total.dirs++;
      this.unread++;
    }
    this.markRead(node, c.stamp);
  }

  private replaceOwn(node: DirNode, own: Own): void {
    this.total.bytes += own.bytes - node.bytes;
    this.total.apparent += own.apparent - node.apparent;
    this.total.files += own.files - node.files;
    node.bytes = own.bytes;
    node.apparent = own.apparent;
    node.files = own.files;
  }

  private markRead(node: DirNode, stamp: string): void {
    if (node.stamp === null) this.unread--;
    node.stamp = stamp;
  }

  /** Removes a subtree's totals (it vanished, or it is a mount point). */
  private drop(node: DirNode): void {
    const todo = [node];
    for (let n = todo.pop(); n; n = todo.pop()) {
      this.replaceOwn(n, { bytes: 0, apparent: 0, files: 0 });
      this.total.dirs--;
      if (n.stamp === null) this.unread--;
      for (const c of n.children.values()) todo.push(c);
    }
  }

  private parentOfTop(): DirNode | undefined {
    const frames = this.pass?.stack ?? [];
    return frames[frames.length - 2]?.node;
  }
}

/**
 * Mount points strictly below `root` (same-device binds are invisible to the st_dev check), named
 * under `root` as given even when it is reached through a symlink (mountinfo names real paths).
 * mountinfo is read at every tick of a pass but parsed again only when its text changed.
 */
class MountCache {
  private text = '';
  private real = '';
  private set = new Set<string>();

  /** `fresh`: resolve `root` again (a symlinked root may point elsewhere now); parse only on a change. */
  under(root: string, fresh = false): Set<string> {
    let text: string;
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return new Set();
    }
    let real = this.real;
    if (fresh) {
      try {
        real = realpathSync(root);
      } catch {
        real = '';
      }
    }
    // The root is gone (or was never resolved): nothing is mounted below it.
    if (!real) {
      this.text = this.real = '';
      return (this.set = new Set());
    }
    if (text === this.text && real === this.real) return this.set;
    this.text = text;
    this.real = real;
    try {
      const below = mountsUnder(parseMountinfo(text), real)
        .map((e) => e.mountPoint)
        .filter((m) => m !== real);
      this.set = new Set(below.map((m) => (root === '/' ? '' : root) + m.slice(real === '/' ? 0 : real.length)));
    } catch {
      this.set = new Set();
    }
    return this.set;
  }
}
