// The Markdown report's list of mounts that were under the chroot before the run, each with what the
// teardown did to it (the HTML report's html-pre-mounts.ts in Markdown).
import { describePreMount, type PreMount, type PreMountMarks } from './pre-mounts.js';

/** The mark after an unmounted mount that was there before the run. */
export const BEFORE_MARK = '**(there before the run)**';

export function preMountsMd(m: PreMountMarks | null, code: (v: string) => string): string[] {
  if (!m) return [];
  if (!m.before.length)
    return ["Nothing was mounted under the chroot before the run: every unmount was of the build's own mounts.", ''];
  const fate = (p: PreMount): string =>
    m.unmounted.includes(p)
      ? 'unmounted by the teardown'
      : m.left.includes(p)
        ? 'still mounted'
        : 'gone during the build';
  const out = [`### Mounted before the run (${m.before.length})`, ''];
  out.push(...m.before.map((p) => `- ${code(describePreMount(p))} — ${fate(p)}`), '');
  if (m.unmounted.length)
    out.push(
      "The teardown unmounts everything under the chroot, the build's mounts and these alike; nothing was deleted through them (a tmpfs's files go with its unmount). Mount them again if you still need them.",
      '',
    );
  return out;
}
