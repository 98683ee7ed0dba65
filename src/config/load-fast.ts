// The hook path's configuration. With no config file, the shipped defaults (validated by the test
// suite) plus strictly parsed environment variables are used as they are: zod's start-up would
// cost an editor's hook call tens of milliseconds. A user's config file is always validated.
import { importDist } from '../package-root.js';
import type { Config } from '../schemas/config.js';
import { mergeLayers, type LoadOptions } from './layers.js';

export async function loadConfigFast(opts: LoadOptions = {}): Promise<Config> {
  const layers = mergeLayers(opts);
  if (!layers.file) return layers.merged as unknown as Config;
  const { loadConfig } = await importDist<typeof import('./load.js')>('src', 'config', 'load.js');
  return loadConfig(opts);
}
