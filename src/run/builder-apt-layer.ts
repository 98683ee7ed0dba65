// Whether `--apt-cache` adds its layer to this build: not when the builder's own package cache is
// shown effective by its stored record (src/builders/live-build-apt-layer.ts).
import type { BuilderInfo } from '../builders/detect.js';
import { LIVE_BUILD_PACKAGES_KEY, liveBuildServesPackages } from '../builders/live-build-apt-layer.js';
import type { CoordinatorCall } from './teardown-then-clean.js';

/** The reason to leave the apt layer out, or null (add it as asked; also when the memory cannot say). */
export async function aptLayerRedundant(
  call: CoordinatorCall,
  builder: BuilderInfo | null | undefined,
): Promise<string | null> {
  if (builder?.name !== 'live-build') return null;
  try {
    return liveBuildServesPackages(
      (await call<{ value: unknown }>('memory-get', { key: LIVE_BUILD_PACKAGES_KEY })).value,
    );
  } catch {
    return null; // not recorded yet, or the memory is unreachable: the layer is added as asked
  }
}
