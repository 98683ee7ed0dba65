// The configuration layers, merged without validation: config/default.json, an optional file
// (--config or ISOSWARM_CONFIG), then the environment. load.ts validates the result with zod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ConfigError, envOverrides } from './env-overrides.js';

export const defaultConfigPath = join(packageRoot, 'config', 'default.json');

type Json = Record<string, unknown>;

export function readJson(path: string, source: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('(file)', source, `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('top level must be an object');
    return v as Json;
  } catch (e) {
    throw new ConfigError('(file)', source, `invalid JSON in ${path}: ${(e as Error).message}`);
  }
}

/** Deep-merges `over` into `base`, recording which source set each leaf. Arrays replace. */
function merge(base: Json, over: Json, source: string, sources: Map<string, string>, prefix = ''): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = merge(b as Json, v as Json, source, sources, path);
    } else {
      out[k] = v;
      sources.set(path, source);
    }
  }
  return out;
}

function setPath(obj: Json, dotted: string, value: unknown): Json {
  const parts = dotted.split('.');
  const patch: Json = {};
  let cur = patch;
  parts.forEach((p, i) => {
    if (i === parts.length - 1) cur[p] = value;
    else cur = cur[p] = {} as Json;
  });
  return patch;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Layers {
  merged: Json;
  /** Which source set each dotted field (for error messages). */
  sources: Map<string, string>;
  /** The config file given, if any. */
  file: string | undefined;
}

export function mergeLayers(opts: LoadOptions = {}): Layers {
  const env = opts.env ?? process.env;
  const sources = new Map<string, string>();
  let merged = merge({}, readJson(defaultConfigPath, 'config/default.json'), 'config/default.json', sources);
  const file = opts.file ?? env.ISOSWARM_CONFIG;
  if (file) {
    const src = opts.file ? `--config ${file}` : `ISOSWARM_CONFIG=${file}`;
    merged = merge(merged, readJson(file, src), src, sources);
  }
  for (const o of envOverrides(env)) merged = merge(merged, setPath({}, o.field, o.value), o.source, sources);
  return { merged, sources, file };
}
