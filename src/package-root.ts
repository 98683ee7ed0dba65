// The installed tool's root (package.json, config/, dist/), found from this module's location so
// that the compiled tree and the bundled CLI resolve the same files.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`isoswarm: cannot find its install directory above ${start}`);
  }
}

export const packageRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A compiled entry point under dist/, e.g. distPath('agents', 'cleaner', 'main.js'). */
export function distPath(...parts: string[]): string {
  return join(packageRoot, 'dist', ...parts);
}

/**
 * Imports a compiled module by its path under dist/ at run time. The lean hooks bundle uses it for
 * the rare paths (a config file to validate, the swarm down) so their code is not in the bundle.
 */
export function importDist<T>(...parts: string[]): Promise<T> {
  return import(pathToFileURL(distPath(...parts)).href) as Promise<T>;
}
