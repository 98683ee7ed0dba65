// A path with its symlinks resolved, when it can be: names the kernel reports as they were given
// (overlay layers, cache dirs in a saved session) are compared with the real paths we act on.
import { realpathSync } from 'node:fs';

/** The real path, or the path as it is when it cannot be resolved. */
export function realOr(p: string): string {
  try {
    return realpathSync.native(p); // one realpath(3), where the JS version lstats each component
  } catch {
    return p;
  }
}
