// The Debian mirror this host's apt uses (deb822 sources or sources.list), for debootstrap.
import { existsSync, readFileSync } from 'node:fs';

export function aptMirror(fallback = 'http://deb.debian.org/debian'): string {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const t = readFileSync(f, 'utf8');
    for (const m of t.matchAll(/^(?:URIs:\s*(\S+)|deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s)/gm)) {
      const uri = m[1] ?? m[2];
      if (uri && !/security/.test(uri)) return uri;
    }
  }
  return fallback;
}

/** Debian's name for this machine's architecture. */
export function debianArch(): string {
  return (
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        ia32: 'i386',
        arm: 'armhf',
        ppc64: 'ppc64el',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[process.arch] ?? process.arch
  );
}
