// Loads and validates the configuration (layers.ts merges it). A bad value is an error that names
// the field and where it came from.
import { configSchema, type Config } from '../schemas/config.js';
import { ConfigError } from './env-overrides.js';
import { mergeLayers, type LoadOptions } from './layers.js';

export { ConfigError } from './env-overrides.js';
export { defaultConfigPath, type LoadOptions } from './layers.js';
export { packageRoot } from '../package-root.js';

export function loadConfig(opts: LoadOptions = {}): Config {
  const { merged, sources } = mergeLayers(opts);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    // The most specific recorded source for this field or one of its parents.
    let src = 'config/default.json';
    for (let p = field; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      const s = sources.get(p);
      if (s) {
        src = s;
        break;
      }
    }
    throw new ConfigError(field, src, issue.message);
  }
  return parsed.data;
}
