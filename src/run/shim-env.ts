// The environment that puts isoswarm's tool shims first on a build's PATH (for `isoswarm run` and
// for shell-init's init_optimization_system): the shim dir, the policy for options the build
// passes itself, and the node binary the shims run with.
import { delimiter, join } from 'node:path';
import { packageRoot } from '../package-root.js';

export const SHIM_DIR = join(packageRoot, 'shims');

export function shimEnv(env: NodeJS.ProcessEnv, policy: 'respect' | 'fill' | 'override'): Record<string, string> {
  const path = (env.PATH ?? '').split(delimiter).filter((d) => d && d !== SHIM_DIR);
  return {
    PATH: [SHIM_DIR, ...path].join(delimiter),
    ISOSWARM_SHIM_DIR: SHIM_DIR,
    ISOSWARM_SQUASHFS:
      env.ISOSWARM_SQUASHFS && ['respect', 'fill', 'override'].includes(env.ISOSWARM_SQUASHFS)
        ? env.ISOSWARM_SQUASHFS
        : policy,
    ISOSWARM_NODE: process.execPath,
  };
}
