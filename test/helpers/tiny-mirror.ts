// A real Debian-style mirror on local disk (file://) that the real debootstrap bootstraps from in
// well under a second: one package built with dpkg-deb (a setuid binary with a hard link, a
// symlink, a device node, a config file), its Packages index and a Release with the index's
// sha256, and a suite script that installs it. `touchRelease` re-dates the Release (a new archive state).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface TinyMirror {
  dir: string;
  url: string;
  script: string;
  suite: string;
  /** The package file and its sha256 as the index names it. */
  deb: { path: string; sha256: string; size: number };
}

const SCRIPT = `mirror_style release
download_style apt
finddebs_style from-indices
variants -
work_out_debs () { required="tinybase"; base=""; }
first_stage_install () { extract $required; mkdir -p "$TARGET/var/log"; }
second_stage_install () { :; }
`;

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

export function writeRelease(m: TinyMirror, date = new Date()): void {
  const rel = 'main/binary-amd64/Packages';
  const p = join(m.dir, 'dists', m.suite, rel);
  writeFileSync(
    join(m.dir, 'dists', m.suite, 'Release'),
    `Origin: isoswarm-test\nSuite: ${m.suite}\nCodename: ${m.suite}\nArchitectures: amd64\nComponents: main\nDate: ${date.toUTCString()}\nSHA256:\n ${sha(p)} ${statSync(p).size} ${rel}\n`,
  );
}

export function makeTinyMirror(parent: string, suite = 'tiny'): TinyMirror {
  const dir = join(parent, 'mirror');
  const pkg = mkdtempSync('/tmp/isoswarm-test-tinypkg-');
  try {
    mkdirSync(join(pkg, 'DEBIAN'));
    for (const d of ['etc', 'usr/bin', 'dev']) mkdirSync(join(pkg, d), { recursive: true });
    writeFileSync(
      join(pkg, 'DEBIAN/control'),
      'Package: tinybase\nVersion: 1.0\nArchitecture: amd64\nMaintainer: test <test@example.org>\nPriority: required\nDescription: tiny base\n',
    );
    writeFileSync(join(pkg, 'etc/motd'), 'bootstrapped from a tiny mirror\n');
    copyFileSync('/bin/true', join(pkg, 'usr/bin/tiny'));
    spawnSync('chmod', ['4755', join(pkg, 'usr/bin/tiny')]);
    linkSync(join(pkg, 'usr/bin/tiny'), join(pkg, 'usr/bin/tiny-link'));
    symlinkSync('tiny', join(pkg, 'usr/bin/tiny-sym'));
    const mk = spawnSync('mknod', [join(pkg, 'dev/null'), 'c', '1', '3']);
    if (mk.status !== 0) throw new Error(`mknod failed: ${mk.stderr}`);
    mkdirSync(join(dir, 'pool'), { recursive: true });
    mkdirSync(join(dir, 'dists', suite, 'main/binary-amd64'), { recursive: true });
    const deb = join(dir, 'pool/tinybase_1.0_amd64.deb');
    const r = spawnSync('dpkg-deb', ['-Zgzip', '--root-owner-group', '--build', pkg, deb], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dpkg-deb --build failed: ${r.stderr}`);
    const m: TinyMirror = {
      dir,
      url: `file://${dir}`,
      script: join(parent, `${suite}.script`),
      suite,
      deb: { path: deb, sha256: sha(deb), size: statSync(deb).size },
    };
    writeFileSync(
      join(dir, 'dists', suite, 'main/binary-amd64/Packages'),
      `Package: tinybase\nVersion: 1.0\nArchitecture: amd64\nMaintainer: test <test@example.org>\nPriority: required\nFilename: pool/tinybase_1.0_amd64.deb\nSize: ${m.deb.size}\nSHA256: ${m.deb.sha256}\nDescription: tiny base\n\n`,
    );
    writeRelease(m);
    writeFileSync(m.script, SCRIPT);
    return m;
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
}
