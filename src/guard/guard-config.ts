// The path policy the guard judges with, from the lean config loader (no zod unless a file is given).
import { loadConfigFast } from '../config/load-fast.js';
import type { PathPolicy } from '../host/path-policy.js';
import { effectivePolicy } from '../runtime/policy.js';

export async function guardPolicy(configFile?: string): Promise<PathPolicy> {
  return effectivePolicy(await loadConfigFast({ file: configFile }));
}
