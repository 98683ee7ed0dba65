import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeMountField,
  encodeMountField,
  isReachable,
  type MountEntry,
  mountsUnder,
  parseMountinfo,
  readMountinfo,
  unmountOrder,
} from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';

const SAMPLE =
  [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
    '60 27 0:50 / /srv/chroot rw,relatime shared:5 master:2 - tmpfs tmpfs rw,size=10k',
    '61 60 254:0 /home/u/apt\\040cache /srv/chroot/var/cache/apt rw - ext4 /dev/vda rw',
    '62 60 0:51 / /srv/chroot/mnt/with\\040space\\011tab\\012nl\\134bs rw - tmpfs my\\040src rw',
    '63 27 0:52 / /srv/chroot2 rw - tmpfs tmpfs rw',
  ].join('\n') + '\n';

test('parses every field and decodes escapes', () => {
  const e = parseMountinfo(SAMPLE);
  assert.equal(e.length, 6);
  assert.deepEqual(e[2], {
    id: 60,
    parentId: 27,
    major: 0,
    minor: 50,
    root: '/',
    mountPoint: '/srv/chroot',
    options: 'rw,relatime',
    optionalFields: ['shared:5', 'master:2'],
    fsType: 'tmpfs',
    source: 'tmpfs',
    superOptions: 'rw,size=10k',
  });
  assert.equal(e[0]?.optionalFields.length, 0);
  assert.equal(e[3]?.root, '/home/u/apt cache');
  assert.equal(e[4]?.mountPoint, '/srv/chroot/mnt/with space\ttab\nnl\\bs');
  assert.equal(e[4]?.source, 'my src');
});

test('decodes any three-digit octal escape and leaves other backslashes alone', () => {
  assert.equal(decodeMountField('a\\101b'), 'aAb');
  assert.equal(decodeMountField('\\040\\011\\012\\134'), ' \t\n\\');
  assert.equal(decodeMountField('x\\9y'), 'x\\9y');
});

test('a malformed line throws instead of hiding a mount', () => {
  assert.throws(() => parseMountinfo('22 27 0:21 / /proc rw,relatime proc proc rw\n'));
  assert.throws(() => parseMountinfo('x 27 0:21 / /proc rw - proc proc rw\n'));
});

test('property: encode then decode is the identity; encoded fields have no separators', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      const enc = encodeMountField(s);
      assert.equal(decodeMountField(enc), s);
      assert.ok(!/[ \t\n]/.test(enc));
    }),
    { numRuns: 2000 },
  );
});

test('property: a mountinfo line built from encoded fields parses back to the same paths', () => {
  const seg = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 12 })
    .filter((s) => !s.includes('/') && s !== '.' && s !== '..');
  const absPath = fc.array(seg, { minLength: 1, maxLength: 5 }).map((a) => '/' + a.join('/'));
  fc.assert(
    fc.property(absPath, absPath, fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), (mp, root, src) => {
      const line = `100 1 0:99 ${encodeMountField(root)} ${encodeMountField(mp)} rw shared:3 - tmpfs ${encodeMountField(src)} rw,x=1`;
      const [e] = parseMountinfo(line + '\n');
      assert.equal(e?.mountPoint, mp);
      assert.equal(e?.root, root);
      assert.equal(e?.source, src);
      assert.deepEqual(e?.optionalFields, ['shared:3']);
    }),
    { numRuns: 1000 },
  );
});

test('isAtOrUnder compares by component, never by string prefix', () => {
  assert.equal(isAtOrUnder('/srv/chroot', '/srv/chroot'), true);
  assert.equal(isAtOrUnder('/srv/chroot/dev/pts', '/srv/chroot'), true);
  assert.equal(isAtOrUnder('/srv/chroot/', '/srv/chroot'), true);
  assert.equal(isAtOrUnder('/srv/chroot2', '/srv/chroot'), false);
  assert.equal(isAtOrUnder('/srv/chroot.old/x', '/srv/chroot'), false);
  assert.equal(isAtOrUnder('/srv', '/srv/chroot'), false);
  assert.equal(isAtOrUnder('/anything', '/'), true);
  assert.equal(isAtOrUnder('/srv/chroot/../../etc', '/srv/chroot'), false, '.. is never judged lexically');
  assert.equal(isAtOrUnder('srv/chroot/x', 'srv/chroot'), false, 'relative paths never match');
  assert.equal(isAtOrUnder('/a.b/c', '/a+b'), false, 'regex characters are just characters');
});

test('property: string-prefix look-alikes are never under; real children always are', () => {
  const seg = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..');
  fc.assert(
    fc.property(
      fc.array(seg, { minLength: 1, maxLength: 4 }),
      seg,
      fc.array(seg, { maxLength: 3 }),
      (base, extra, tail) => {
        const root = '/' + base.join('/');
        assert.equal(isAtOrUnder(root + extra, root), false);
        assert.equal(isAtOrUnder([root, ...tail].join('/'), root), true);
      },
    ),
    { numRuns: 1000 },
  );
});

test('mountsUnder includes the target itself and excludes its look-alike neighbours', () => {
  const under = mountsUnder(parseMountinfo(SAMPLE), '/srv/chroot').map((e) => e.id);
  assert.deepEqual(under, [60, 61, 62]);
});

function entry(id: number, parentId: number, mountPoint: string): MountEntry {
  return {
    id,
    parentId,
    major: 0,
    minor: id,
    root: '/',
    mountPoint,
    options: 'rw',
    optionalFields: [],
    fsType: 'tmpfs',
    source: 't',
    superOptions: 'rw',
  };
}

test('unmountOrder puts children before parents and the top of a stack first', () => {
  const list = [
    entry(10, 1, '/c'),
    entry(11, 10, '/c/proc'),
    entry(12, 10, '/c/dev'),
    entry(13, 12, '/c/dev/pts'),
    entry(14, 11, '/c/proc/sys/fs/binfmt_misc'),
    entry(15, 10, '/c/run'),
    entry(16, 15, '/c/run'), // stacked on 15
    entry(17, 16, '/c/run'), // stacked on 16
  ];
  const order = unmountOrder(list).map((e) => e.id);
  const pos = (id: number): number => order.indexOf(id);
  assert.equal(order.length, list.length);
  for (const e of list) if (e.parentId !== 1) assert.ok(pos(e.id) < pos(e.parentId), `${e.id} before ${e.parentId}`);
  assert.ok(pos(17) < pos(16) && pos(16) < pos(15));
  assert.equal(order.at(-1), 10);
});

test('property: in any mount tree every mount is unmounted before its parent', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (parents) => {
      // Mount i+2 hangs below a random earlier mount (or the host's root, id 1).
      const list = parents.map((p, i) => entry(i + 2, p % (i + 1) === 0 ? 1 : (p % (i + 1)) + 1, `/m/${i}`));
      const shuffled = [...list].sort((a, b) => ((a.id * 7919) % 13) - ((b.id * 7919) % 13));
      const order = unmountOrder(shuffled).map((e) => e.id);
      assert.equal(new Set(order).size, list.length);
      for (const e of list) if (e.parentId !== 1) assert.ok(order.indexOf(e.id) < order.indexOf(e.parentId));
    }),
    { numRuns: 500 },
  );
});

test('isReachable: stacked, shadowed-by-a-later-parent-mount and sibling-at-same-spot mounts are not', () => {
  const root = entry(1, 1, '/');
  const a = entry(10, 1, '/c/mnt/x'); // mounted first
  const usb = entry(11, 1, '/c/mnt'); // then something over its parent folder
  const inUsb = entry(12, 11, '/c/mnt/x');
  const all = [root, a, usb, inUsb];
  assert.equal(isReachable(a, all), false, 'umount /c/mnt/x would hit the mount inside /c/mnt');
  assert.equal(isReachable(inUsb, all), true);
  assert.equal(isReachable(usb, all), true);
  const top = entry(13, 12, '/c/mnt/x');
  assert.equal(isReachable(inUsb, [...all, top]), false, 'something is stacked on it');
  assert.equal(isReachable(top, [...all, top]), true);
  const twin = entry(14, 11, '/c/mnt/x');
  assert.equal(isReachable(inUsb, [...all, twin]), false, 'two siblings at one spot: ambiguous');
  assert.equal(isReachable(entry(99, 1, '/gone'), all), false);
});

test('reads the real mount table', async () => {
  const all = await readMountinfo();
  assert.ok(all.some((e) => e.mountPoint === '/'));
  assert.ok(all.every((e) => e.mountPoint.startsWith('/')));
});
