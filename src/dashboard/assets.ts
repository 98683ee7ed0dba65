// The page's files, read once: our HTML, script and style (src/dashboard/page) and uPlot from its
// npm package. Served from memory by our own server; the page loads nothing from anywhere else.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface Asset {
  body: Buffer;
  type: string;
}

let cache: Map<string, Asset> | null = null;

export function pageAssets(): Map<string, Asset> {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const uplotDir = join(require.resolve('uplot/package.json'), '..', 'dist');
  const page = join(packageRoot, 'src', 'dashboard', 'page');
  const m = new Map<string, Asset>();
  m.set('/', { body: readFileSync(join(page, 'index.html')), type: 'text/html; charset=utf-8' });
  m.set('/app.js', { body: readFileSync(join(page, 'app.js')), type: 'text/javascript; charset=utf-8' });
  m.set('/style.css', { body: readFileSync(join(page, 'style.css')), type: 'text/css; charset=utf-8' });
  m.set('/uplot.js', {
    body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')),
    type: 'text/javascript; charset=utf-8',
  });
  m.set('/uplot.css', { body: readFileSync(join(uplotDir, 'uPlot.min.css')), type: 'text/css; charset=utf-8' });
  cache = m;
  return m;
}
