// Reaches a planned file again, component by component from an open root, through directory fds:
// no symlink is followed and no mount is entered on the way, so a path that changed since it was
// planned (a swapped-in symlink, a new bind mount) cannot lead outside the root.
import { basename, dirname } from 'node:path';
import { closeFdSync, fstatBig, mountIdOfFd, openDir, openDirAt } from './dir-fd.js';
import { isAtOrUnder, pathComponents } from './paths.js';

export type ParentResult = { ok: true; fd: number; name: string } | { ok: false; reason: string };

export class WithinRoot {
  private readonly dirs = new Map<string, number>();
  private rootDev = 0n;
  private rootMnt = -1;

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<WithinRoot> {
    const w = new WithinRoot(root);
    const fd = await openDir(root);
    w.dirs.set(root, fd);
    w.rootDev = fstatBig(fd).dev;
    w.rootMnt = mountIdOfFd(fd);
    return w;
  }

  /** The open directory holding `path` (below the root) and the last component's name. */
  async parentOf(path: string): Promise<ParentResult> {
    const comps = pathComponents(path);
    if (!comps || !isAtOrUnder(path, this.root) || path === this.root)
      return { ok: false, reason: `${path} is not below ${this.root}` };
    const fd = await this.dir(dirname(path));
    return typeof fd === 'string' ? { ok: false, reason: fd } : { ok: true, fd, name: basename(path) };
  }

  private async dir(path: string): Promise<number | string> {
    const known = this.dirs.get(path);
    if (known !== undefined) return known;
    const parent = await this.dir(dirname(path));
    if (typeof parent === 'string') return parent;
    let fd: number;
    try {
      fd = await openDirAt(parent, basename(path));
    } catch (e) {
      return `cannot open ${path} without following links: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
    if (fstatBig(fd).dev !== this.rootDev || mountIdOfFd(fd) !== this.rootMnt) {
      closeFdSync(fd);
      return `${path} is a mount point now`;
    }
    this.dirs.set(path, fd);
    return fd;
  }

  close(): void {
    for (const fd of this.dirs.values()) closeFdSync(fd);
    this.dirs.clear();
  }
}
