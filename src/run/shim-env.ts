// The environment that puts isoswarm's tool shims (mksquashfs, debootstrap) first on a build's PATH (for `isoswarm run` and
// for shell-init's init_optimization_system): the shim dir, the policy for options the build
// passes itself, and the node binary the shims run with.
import { delimiter, join } from 'node:path';
import { packageRoot } from '../package-root.js';

export const SHIM_DIR = join(packageRoot, 'shims');

export function shimEnv(
  env: NodeJS.ProcessEnv,
  policy: 'respect' | 'fill' | 'override',
  rootCache = true,
): Record<string, string> {
  const path = (env.PATH ?? '').split(delimiter).filter((d) => d && d !== SHIM_DIR);
  return {
    PATH: [SHIM_DIR, ...path].join(delimiter),
    ISOSWARM_SHIM_DIR: SHIM_DIR,
    ISOSWARM_SQUASHFS:
      env.ISOSWARM_SQUASHFS && ['respect', 'fill', 'override'].includes(env.ISOSWARM_SQUASHFS)
        ? env.ISOSWARM_SQUASHFS
        : policy,
    ISOSWARM_NODE: process.execPath,
    // The debootstrap shim's root result cache (`run --no-root-cache`, or the caller's own "off").
    ISOSWARM_ROOT_CACHE: env.ISOSWARM_ROOT_CACHE === 'off' || !rootCache ? 'off' : 'on',
  };
}
