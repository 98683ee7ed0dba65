// The demo's root tree: a real mix of files (documentation text, compressed man pages, shared
// libraries) copied from this host, so the tuner has something honest to measure.
import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = [
  '/usr/share/doc',
  '/usr/share/man/man1',
  '/usr/share/man/man8',
  '/usr/lib/x86_64-linux-gnu/perl-base',
  '/etc',
];

export function buildPayload(chroot: string, maxBytes = 96 * 2 ** 20): { files: number; bytes: number } {
  const dest = join(chroot, 'srv', 'payload');
  mkdirSync(dest, { recursive: true });
  let files = 0;
  let bytes = 0;
  for (const src of SOURCES) {
    if (!existsSync(src) || bytes >= maxBytes) continue;
    const to = join(dest, src.replace(/\//g, '_').replace(/^_/, ''));
    cpSync(src, to, {
      recursive: true,
      dereference: false,
      errorOnExist: false,
      filter: (p) => {
        try {
          const st = statSync(p, { throwIfNoEntry: false });
          if (!st) return false;
          if (st.isFile()) {
            if (bytes + st.size > maxBytes) return false;
            bytes += st.size;
            files++;
          }
          return st.isFile() || st.isDirectory();
        } catch {
          return false;
        }
      },
    });
  }
  // Build logs, as a real build leaves them: highly compressible text.
  mkdirSync(join(chroot, 'var', 'log'), { recursive: true });
  const line = 'Setting up libexample3:amd64 (3.2.1-4) ... Processing triggers for man-db (2.11.2-2) ...\n';
  writeFileSync(join(chroot, 'var', 'log', 'build.log'), line.repeat(40_000));
  files++;
  bytes += line.length * 40_000;
  return { files, bytes };
}
