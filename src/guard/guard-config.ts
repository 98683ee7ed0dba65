// The configuration the guard runs with, from the lean loader (no zod unless a file is given).
import { loadConfigFast } from '../config/load-fast.js';
import type { Config } from '../schemas/config.js';

export async function guardConfig(configFile?: string): Promise<Config> {
  return loadConfigFast({ file: configFile });
}
