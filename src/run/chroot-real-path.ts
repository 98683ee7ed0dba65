// A build tree's real path, the name its build lock is taken under, also before the tree is made.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The chroot's real path: itself resolved, or (not made yet) its nearest existing ancestor's plus the rest. */
export function realChrootPath(chroot: string): string {
  const rest: string[] = [];
  let dir = chroot;
  while (!existsSync(dir) && dirname(dir) !== dir) {
    rest.unshift(basename(dir));
    dir = dirname(dir);
  }
  return join(realpathSync(dir), ...rest);
}
