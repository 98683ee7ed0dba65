// The apt harvest against the archive's word: real .debs (dpkg-deb) and a real Packages index in a
// chroot's var/lib/apt/lists. A package the index names is kept only with its size and sha256; one
// it does not name falls back to the dpkg-deb and ar checks; a lists dir reached through a symlink
// of the chroot is not read.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chrootPackagesIndex } from '../../src/host/cache/apt-index.js';
import { harvestDebs } from '../../src/host/cache/deb-harvest.js';
import { removeScratch } from '../helpers/cli.js';
import { makeDeb } from '../helpers/debs.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const stanza = (name: string, size: number, sum: string) =>
  `Package: ${name.split('_')[0]}\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/main/x/${name}\nSize: ${size}\nSHA256: ${sum}\nDescription: t\n\n`;

describe('deb harvest checked against the Packages index', () => {
  const work = mkdtempSync('/tmp/isoswarm-test-harvest-index-');
  after(() => removeScratch(work));

  test('matching sha256 kept, a different build of the same name rejected, unindexed ones checked by dpkg-deb', async () => {
    const upper = join(work, 'upper');
    const cache = join(work, 'cache');
    const chroot = join(work, 'chroot');
    const other = join(work, 'other');
    for (const d of [upper, cache, other, join(chroot, 'var/lib/apt/lists')]) mkdirSync(d, { recursive: true });
    const good = makeDeb(upper, 'good', '1.0', 100_000);
    const swapped = makeDeb(upper, 'swapped', '1.0', 100_000);
    // The index describes another build of "swapped": same name, other bytes.
    const official = makeDeb(other, 'swapped', '1.0', 100_000);
    const loose = makeDeb(upper, 'loose', '1.0', 50_000);
    const cut = makeDeb(upper, 'cut', '1.0', 50_000);
    truncateSync(cut, statSync(cut).size - 1000);
    writeFileSync(
      join(chroot, 'var/lib/apt/lists/deb.example.org_debian_dists_bookworm_main_binary-amd64_Packages'),
      stanza(basename(good), statSync(good).size, sha(good)) +
        stanza(basename(swapped), statSync(official).size, sha(official)),
    );
    const index = chrootPackagesIndex(chroot);
    assert.ok(index);
    assert.equal(index.get(basename(good))?.[0]?.sha256, sha(good));
    const r = await harvestDebs([upper], cache, index);
    assert.deepEqual(
      r.harvested.map((h) => [h.name, h.check]),
      [
        [basename(good), 'packages-sha256'],
        [basename(loose), 'dpkg-deb'],
      ],
    );
    const rej = Object.fromEntries(r.rejected.map((x) => [x.name, x.reason]));
    assert.match(rej[basename(swapped)] ?? '', /Packages index/);
    assert.match(rej[basename(cut)] ?? '', /truncated|dpkg-deb/);
    assert.deepEqual(readdirSync(cache).sort(), [basename(good), basename(loose)].sort());
    assert.equal(sha(join(cache, basename(good))), sha(good));
  });

  test('no index at hand, or lists reached through a symlink: null (the dpkg-deb check applies)', () => {
    const bare = join(work, 'bare');
    mkdirSync(join(bare, 'var/lib/apt'), { recursive: true });
    assert.equal(chrootPackagesIndex(bare), null);
    const host = join(work, 'host-lists');
    mkdirSync(host);
    writeFileSync(join(host, 'x_Packages'), stanza('x_1.0_amd64.deb', 1, '0'.repeat(64)));
    symlinkSync(host, join(bare, 'var/lib/apt/lists'));
    assert.equal(chrootPackagesIndex(bare), null, 'a symlinked lists dir is not followed');
  });
});
