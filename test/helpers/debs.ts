// Real .deb files for cache tests: built with dpkg-deb from a small payload, so `dpkg-deb --info`
// accepts them exactly as it would a downloaded package.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Builds `<dir>/<name>_<version>_amd64.deb` with `payloadBytes` of random data; returns its path. */
export function makeDeb(dir: string, name: string, version: string, payloadBytes: number): string {
  const root = mkdtempSync('/tmp/isoswarm-test-deb-');
  try {
    mkdirSync(join(root, 'DEBIAN'));
    mkdirSync(join(root, 'usr/share', name), { recursive: true });
    writeFileSync(
      join(root, 'DEBIAN/control'),
      `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: test <test@example.org>\nDescription: test package\n`,
    );
    writeFileSync(join(root, 'usr/share', name, 'payload.bin'), randomBytes(payloadBytes));
    const out = join(dir, `${name}_${version}_amd64.deb`);
    const r = spawnSync('dpkg-deb', ['-Zgzip', '--root-owner-group', '--build', root, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dpkg-deb --build failed: ${r.stderr}`);
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
