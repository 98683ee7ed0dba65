// `isoswarm run --chroot DIR` is judged by the path policy before the build starts. The chroot may not
// exist yet (the build creates it): then its nearest existing ancestor is resolved and the rest
// appended, so a symlinked parent is judged by where it really points.
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { canonicalPolicy, checkPolicy, readHomeDirs, resolveAndCheck } from '../host/guard/path-policy.js';
import { effectivePolicy } from './policy.js';
import type { Config } from '../schemas/config.js';

/** Null when the chroot may be used; otherwise why it is refused. */
export async function checkChrootPolicy(
  chroot: string,
  config: Config,
): Promise<{ code: string; reason: string } | null> {
  const policy = await canonicalPolicy(effectivePolicy(config));
  const homes = await readHomeDirs();
  if (existsSync(chroot)) {
    const v = await resolveAndCheck(chroot, policy, homes);
    return v.ok ? null : { code: v.code, reason: v.reason };
  }
  const rest: string[] = [];
  let dir = chroot;
  while (!existsSync(dir) && dirname(dir) !== dir) {
    rest.unshift(basename(dir));
    dir = dirname(dir);
  }
  const v = checkPolicy(join(await realpath(dir), ...rest), policy, homes);
  return v.ok ? null : { code: v.code, reason: v.reason };
}
