// Tests that need root skip visibly when not root, and never skip under CI=true.
import { userInfo } from 'node:os';

export const isRoot = userInfo().uid === 0;

/** Returns a node:test `skip` value: false when the test may run, a reason otherwise. */
export function needsRoot(): false | string {
  if (isRoot) return false;
  if (process.env.CI === 'true')
    throw new Error('CI=true but not running as root: root-only tests must not skip in CI');
  return 'needs root (mounts, namespaces, signals); run as root to exercise it';
}
