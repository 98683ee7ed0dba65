// Mounts from before the run against the teardown's: which unmounts took a user's own mount (stacked
// ones included), which are left or were gone, the notes the run writes, and how both reports mark them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { markPreMounts, preMountNotes } from '../../src/report/pre-mounts.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { renderTeardown } from '../../src/report/html-teardown.js';
import { summarize } from '../../src/report/summary.js';
import { CHROOT, realisticRecord } from '../helpers/report-fixture.js';

const C = '/srv/chroot';
const attempt = (mountPoint: string, fsType: string, ok = true) => ({ mountPoint, fsType, ok });

describe('markPreMounts', () => {
  test('no checkpoint: nothing to say', () => {
    assert.equal(markPreMounts(undefined, { unmounted: [`${C}/proc`] }), null);
    assert.deepEqual(preMountNotes(null), []);
  });

  test('nothing there before: every unmount is the build own', () => {
    const m = markPreMounts({ mountsUnderChroot: [] }, { unmounted: [`${C}/proc`, `${C}/sys`] });
    assert.deepEqual(m?.unmountedWasBefore, [false, false]);
    assert.equal(m?.built, 2);
    assert.deepEqual(preMountNotes(m), []);
  });

  test('a bind from before the run is told apart from the build mounts', () => {
    const repo = { mountPoint: `${C}/srv/repo`, fsType: 'ext4', source: '/dev/sda1', root: '/home/u/repo' };
    const m = markPreMounts(
      { mountsUnderChroot: [repo.mountPoint], mountsUnderChrootInfo: [repo] },
      {
        unmounted: [`${C}/proc`, repo.mountPoint, `${C}/dev`],
        attempts: [attempt(`${C}/proc`, 'proc'), attempt(repo.mountPoint, 'ext4'), attempt(`${C}/dev`, 'devtmpfs')],
      },
    );
    assert.deepEqual(m?.unmountedWasBefore, [false, true, false]);
    assert.deepEqual(m?.unmounted, [repo]);
    assert.equal(m?.built, 2);
    const notes = preMountNotes(m);
    assert.equal(notes[0], `1 mount was under the chroot before the run: ${C}/srv/repo (ext4 /dev/sda1[/home/u/repo])`);
    assert.match(notes[1]!, /^the teardown unmounted 1 mount from before the run like the build's own/);
    assert.match(notes[1]!, /mount them again/);
    assert.equal(notes.at(-1), '2 mounts the build made were unmounted by the teardown');
  });

  test('stacked on one path: the one from before is the bottom one, the last to go', () => {
    const p = `${C}/var/cache/apt/archives`;
    const m = markPreMounts(
      { mountsUnderChroot: [p] },
      { unmounted: [p, p], attempts: [attempt(p, 'overlay'), attempt(p, 'ext4')] },
    );
    assert.deepEqual(m?.unmountedWasBefore, [false, true]);
    assert.equal(m?.built, 1);
  });

  test('the file system type tells a build mount on the same path from the user one that was gone', () => {
    const p = `${C}/mnt`;
    const m = markPreMounts(
      {
        mountsUnderChroot: [p],
        mountsUnderChrootInfo: [{ mountPoint: p, fsType: 'ext4', source: '/dev/sdb1', root: '/' }],
      },
      { unmounted: [p], attempts: [attempt(p, 'tmpfs')] },
    );
    assert.deepEqual(m?.unmountedWasBefore, [false]);
    assert.equal(m?.gone.length, 1);
    assert.match(
      preMountNotes(m).join('\n'),
      /gone by the teardown \(unmounted during the build\): \/srv\/chroot\/mnt \(ext4 \/dev\/sdb1\)/,
    );
  });

  test('a foreign mount from before the run is left, not counted as unmounted', () => {
    const usb = `${C}/mnt/usb`;
    const m = markPreMounts(
      { mountsUnderChroot: [usb, `${C}/proc`] },
      {
        unmounted: [`${C}/proc`],
        attempts: [attempt(usb, 'vfat', false), attempt(`${C}/proc`, 'proc')],
        remaining: [],
        foreign: [{ mount: { mountPoint: usb, fsType: 'vfat' }, reason: 'block device' }],
      },
    );
    assert.deepEqual(
      m?.left.map((p) => p.mountPoint),
      [usb],
    );
    assert.deepEqual(m?.unmountedWasBefore, [true]);
    assert.equal(m?.built, 0);
    assert.match(preMountNotes(m).join('\n'), /1 mount from before the run still mounted: \/srv\/chroot\/mnt\/usb/);
  });
});

describe('reports mark the mounts from before the run', () => {
  const record = () => {
    const r = realisticRecord();
    const repo = `${CHROOT}/run`;
    r.checkpoint = {
      mountsTotal: 40,
      mountsUnderChroot: [repo],
      mountsUnderChrootInfo: [{ mountPoint: repo, fsType: 'tmpfs', source: 'tmpfs', root: '/' }],
      freeBytes: null,
    };
    return r;
  };

  test('Markdown: the unmount is marked and the list names it', () => {
    const md = renderMarkdown(record());
    assert.match(md, new RegExp(`^2\\. \`${CHROOT}/run\`.* \\*\\*\\(there before the run\\)\\*\\*$`, 'm'));
    assert.equal((md.match(/\(there before the run\)/g) ?? []).length, 1, 'only that unmount is marked');
    assert.match(md, /^### Mounted before the run \(1\)$/m);
    assert.match(md, new RegExp(`^- \`${CHROOT}/run \\(tmpfs tmpfs\\)\` — unmounted by the teardown$`, 'm'));
  });

  test('HTML: the unmount carries the chip, the section lists it, the summary warns', () => {
    const html = renderTeardown(record());
    assert.equal(
      (html.match(/<li><code>[^<]*<\/code>[^]*?<\/li>/g) ?? []).filter((li) => li.includes('there before the run'))
        .length,
      1,
    );
    assert.match(html, new RegExp(`<li><code>${CHROOT}/run</code>[^]*?there before the run[^]*?</li>`));
    assert.match(html, /<h3>Mounted before the run \(1\)<\/h3><ul class="pre-mounts" data-pre-mounts="1">/);
    const s = summarize(record());
    assert.match(s.teardownText, /5 mounts unmounted \(1 there before the run\)/);
    assert.ok(
      s.warnings.some((w) => w.includes(`before the run: ${CHROOT}/run`)),
      s.warnings.join('\n'),
    );
  });

  test('a record without a checkpoint renders as before', () => {
    const r = realisticRecord();
    delete r.checkpoint;
    assert.doesNotMatch(renderMarkdown(r), /before the run/);
    assert.doesNotMatch(renderTeardown(r), /before the run/);
  });
});
