// Follows a run's output files (out.log, err.log) and copies what is new to our stdout/stderr:
// how `isoswarm run` shows the build it no longer parents, and how `run --attach` re-attaches.
import { closeSync, openSync, readSync } from 'node:fs';

export interface Tail {
  /** Copies what is new now. */
  pump(): void;
  /** Copies the rest and stops. */
  stop(): Promise<void>;
}

export function tailFiles(pairs: { file: string; to: NodeJS.WritableStream }[], pollMs = 100): Tail {
  const buf = Buffer.allocUnsafe(64 * 1024);
  const open = pairs.map((p) => ({ ...p, fd: -1, pos: 0 }));
  const pump = () => {
    for (const o of open) {
      if (o.fd < 0) {
        try {
          o.fd = openSync(o.file, 'r');
        } catch {
          continue;
        }
      }
      for (;;) {
        const n = readSync(o.fd, buf, 0, buf.length, o.pos);
        if (n <= 0) break;
        o.pos += n;
        o.to.write(Buffer.from(buf.subarray(0, n)));
      }
    }
  };
  const timer = setInterval(pump, pollMs);
  return {
    pump,
    stop: async () => {
      clearInterval(timer);
      pump();
      for (const o of open) if (o.fd >= 0) closeSync(o.fd);
      await Promise.all(
        pairs.map((p) => new Promise<void>((r) => (p.to.write('') ? r() : p.to.once('drain', () => r())))),
      );
    },
  };
}
