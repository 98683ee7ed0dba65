// The path policy every destructive agent applies: configured safe prefixes, and a deny list that
// always includes the host's own directories (config can add to it, never remove from it).
import { defaultDeny, type PathPolicy } from '../host/guard/path-policy.js';
import type { Config } from '../schemas/config.js';

export function effectivePolicy(config: Config): PathPolicy {
  return {
    safePrefixes: [...config.policy.safePrefixes],
    deny: [...new Set([...defaultDeny(), ...config.policy.deny])],
  };
}
