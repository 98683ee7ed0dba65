// Whether a tuner's apt cache overlay is still mounted in a chroot: one whose answer is "no session
// there" has usually mounted nothing, but a tuner started again that could not take its overlay back
// answers so too, while that overlay still holds the cache. Ours: the isoswarm overlay source at
// <chroot>/var/cache/apt/archives, its upper layer a run-private dir in a tuner's apt-overlay dir.
import { basename, dirname, join } from 'node:path';
import { OVERLAY_SOURCE } from '../host/cache/overlay.js';
import { realOr } from '../host/fs/real-path.js';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { overlayOptions } from '../host/mounts/overlay-options.js';

/** The upper layer of our overlay still mounted in `chroot`'s apt archive dir, or null. */
export async function aptOverlayLeft(chroot: string): Promise<string | null> {
  const at = join(realOr(chroot), 'var/cache/apt/archives');
  for (const m of await readMountinfo()) {
    if (m.fsType !== 'overlay' || m.source !== OVERLAY_SOURCE || m.mountPoint !== at) continue;
    const upper = overlayOptions(m.superOptions).get('upperdir');
    if (upper && basename(upper) === 'upper' && basename(dirname(dirname(upper))) === 'apt-overlay') return upper;
  }
  return null;
}
