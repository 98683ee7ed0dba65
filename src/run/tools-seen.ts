// Builders recognised by the shims seeing their tool: shims/debootstrap and shims/mmdebstrap append
// the tool's name to the run's dir (tools-seen) when the build calls them, so a script that hides the
// call from the command line (a wrapper, make, sh -c) is still known as a debootstrap or mmdebstrap
// build after it ran.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuilderName } from '../builders/detect.js';

export const TOOLS_SEEN_FILE = 'tools-seen';
const TOOLS: readonly BuilderName[] = ['mmdebstrap', 'debootstrap'];

/** The tools the shims saw, in the order first seen, with how often. */
export function readToolsSeen(dir: string): { tool: BuilderName; calls: number }[] {
  const f = join(dir, TOOLS_SEEN_FILE);
  if (!existsSync(f)) return [];
  const counts = new Map<BuilderName, number>();
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const t = line.trim() as BuilderName;
    if (TOOLS.includes(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts].map(([tool, calls]) => ({ tool, calls }));
}
