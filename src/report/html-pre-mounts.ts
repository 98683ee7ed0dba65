// The HTML report's list of mounts that were under the chroot before the run, each with what the
// teardown did to it: a user's own bind taken down with the build's mounts is shown, not hidden.
import { esc } from './format.js';
import { chip } from './html-header.js';
import { describePreMount, type PreMount, type PreMountMarks } from './pre-mounts.js';

/** The mark next to an unmounted mount that was there before the run. */
export const BEFORE_CHIP = chip('there before the run', 'warn');

export function renderPreMounts(m: PreMountMarks | null): string {
  if (!m) return '';
  if (!m.before.length)
    return `<p class="muted small" data-pre-mounts="0">Nothing was mounted under the chroot before the run: every unmount was of the build's own mounts.</p>`;
  const fate = (p: PreMount): string =>
    m.unmounted.includes(p)
      ? chip('unmounted by the teardown', 'warn')
      : m.left.includes(p)
        ? chip('still mounted', 'warn')
        : chip('gone during the build', 'muted');
  const items = m.before.map((p) => `<li><code>${esc(describePreMount(p))}</code> ${fate(p)}</li>`);
  const advice = m.unmounted.length
    ? `<p>The teardown unmounts everything under the chroot, the build's mounts and these alike; nothing was deleted through them (a tmpfs's files go with its unmount). Mount them again if you still need them.</p>`
    : '';
  return `<h3>Mounted before the run (${m.before.length})</h3><ul class="pre-mounts" data-pre-mounts="${m.before.length}">${items.join('')}</ul>${advice}`;
}
